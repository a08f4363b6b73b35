/**
 * Erasure that reaches everything (issue 20), after the whole loop has run on a subject: harvest
 * from the Zendesk sandbox → compliance alerts posted to the Slack sandbox → a dataset version →
 * a fine-tuning run at the OpenAI sandbox on it → a draft posted as an internal note on their open
 * ticket. Then their erasure (email + name), and a search of every table, every file under the
 * data dir, the Slack sandbox's messages, the OpenAI sandbox's files and what tuneloop wrote into
 * Zendesk for their email, name and phone: nothing is left but the hashed suppression entries and
 * the audit record. What Zendesk holds of its own (the customer's ticket) is the vendor's record,
 * not tuneloop's copy, and is not searched. Real Postgres, pg-boss, job handlers, the real SDKs.
 */
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOpenAISandbox, SANDBOX_API_KEY as OPENAI_SANDBOX_KEY } from '../../integrations/openai/sandbox/index.ts';
import { createSlackSandbox, DEFAULT_CHANNELS, SANDBOX_BOT_TOKEN } from '../../integrations/slack/sandbox/index.ts';
import { openArtifactStore } from '../../src/artifacts/index.ts';
import { loadConfig, type Config } from '../../src/config.ts';
import { complianceAlerts, drafts, fineTuningJobs, gdprSuppressions, models } from '../../src/db/schema/index.ts';
import type { HubDeps } from '../../src/deps.ts';
import { createErasure } from '../../src/gdpr/erasures.ts';
import { runErasure } from '../../src/gdpr/run.ts';
import { HANDLERS } from '../../src/jobs/handlers.ts';
import { startQueue, type Queue } from '../../src/queue/queue.ts';
import { policiesFor } from '../../src/serving/compliance/handler.ts';
import { scanBacklog } from '../../src/serving/compliance/scan.ts';
import { openaiBackendFor, runOpenAIJob } from '../../src/training/openai/runner.ts';
import { createJob } from '../../src/training/jobs.ts';
import { addSolvedTicket, createAndBuild, harvestSandbox, SMALL_DATASET_SPLIT, tempHome, type HarvestedSandbox } from '../datasets/helpers.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { startFakeModelServer, type FakeModelServer } from '../support/fake-model-server.ts';
import { harvestNow, testKeyring } from '../support/harvest.ts';
import { captureLogger } from '../support/logger.ts';

const SUBJECT = { name: 'Wilhelmina Ostrowski', email: 'wilhelmina.ostrowski@example.net', phone: '+49 40 5550 3317' };
/** What must be gone: the email, the full name, each part of it, the phone. */
const NEEDLES = [SUBJECT.email, SUBJECT.name, 'Wilhelmina', 'Ostrowski', SUBJECT.phone];
const CHANNEL = DEFAULT_CHANNELS[0]?.id ?? 'C0SUPPORT01';

/** Rows of every table (public and the job queue's) whose text holds `needle`, by table. */
async function databaseMentions(database: TestDatabase, needle: string): Promise<Record<string, number>> {
  const tables = await database.db.execute<{ s: string; t: string }>(sql`SELECT table_schema AS s, table_name AS t FROM information_schema.tables WHERE table_schema IN ('public', 'pgboss') AND table_type = 'BASE TABLE'`);
  const found: Record<string, number> = {};
  for (const { s, t } of tables.rows) {
    const result = await database.db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM ${sql.identifier(s)}.${sql.identifier(t)} x WHERE position(${needle.toLowerCase()} in lower(x::text)) > 0`);
    if ((result.rows[0]?.n ?? 0) > 0) found[`${s}.${t}`] = result.rows[0]?.n ?? 0;
  }
  return found;
}

/** Files under `dir` (recursively) whose bytes, read as UTF-8, hold `needle` (case-insensitive). */
function fileMentions(dir: string, needle: string): string[] {
  const out: string[] = [];
  const walk = (at: string) => {
    for (const entry of readdirSync(at)) {
      const path = join(at, entry);
      if (statSync(path).isDirectory()) walk(path);
      else if (readFileSync(path, 'utf8').toLowerCase().includes(needle.toLowerCase())) out.push(relative(dir, path));
    }
  };
  walk(dir);
  return out;
}

describe('erasure after the full loop', () => {
  let database: TestDatabase;
  let queue: Queue;
  let config: Config;
  let deps: HubDeps;
  let harvested: HarvestedSandbox;
  let model: FakeModelServer;
  const slack = createSlackSandbox({ seed: 8, threads: 1 });
  let slackApi: { apiUrl: string; close(): Promise<void> };
  const openai = createOpenAISandbox({ seed: 8, stepMs: 10, maxSteps: 4 });
  let openaiApi: { url: string; close(): Promise<void> };
  const home = tempHome();
  const keyring = testKeyring();
  const { log } = captureLogger();
  let openTicket = 0;

  /** Everything the sandboxes hold that tuneloop wrote: Slack messages, OpenAI files, Zendesk comments by the API user. */
  function sandboxText(): Record<string, string> {
    const slackMessages = [...slack.store.channels.values()].flatMap((channel) => [...channel.byTs.values()]);
    const zendesk = harvested.sandbox.store;
    const written = [...zendesk.tickets.values()].flatMap((ticket) => ticket.comments.filter((comment) => comment.authorId === zendesk.apiUserId));
    return { slack: JSON.stringify(slackMessages), openai: JSON.stringify([...openai.store.files.values()]), zendesk: JSON.stringify(written) };
  }

  beforeAll(async () => {
    database = await createTestDatabase();
    queue = await startQueue({ url: database.url, schema: 'pgboss', log });
    slackApi = await slack.listen();
    openaiApi = await openai.listen();
    // The reply model writes to the customer by name, as a model trained on support replies does.
    model = await startFakeModelServer({ baseModels: ['tiny-reply'], reply: () => `Hi ${SUBJECT.name}, our technician will call you on ${SUBJECT.phone} tomorrow.` });
    config = loadConfig({
      DATABASE_URL: database.url,
      TUNELOOP_HOME: home.home,
      SLACK_BOT_TOKEN: SANDBOX_BOT_TOKEN,
      SLACK_API_URL: slackApi.apiUrl,
      COMPLIANCE_SLACK_CHANNEL: CHANNEL,
      OPENAI_API_KEY: OPENAI_SANDBOX_KEY,
      OPENAI_BASE_URL: `${openaiApi.url}/v1`,
      OPENAI_POLL_INTERVAL_MS: '20',
      INFERENCE_BASE_URL: model.url,
      VENDOR_ALLOWED_HOSTS: '127.0.0.1',
    });
    deps = { database, queue, log, config, keyring, artifacts: openArtifactStore(config) };

    // Harvest: their solved ticket (an agent repeated their phone in public) and an open one.
    harvested = await harvestSandbox(database, { seed: 73, tickets: 30, name: 'zd-full-loop' });
    for (let n = 0; n < 6; n++) {
      addSolvedTicket(harvested.sandbox, {
        requester: { name: SUBJECT.name, email: SUBJECT.email },
        subject: `Dishwasher error E${n}`,
        customer: `My dishwasher shows error E${n} again. Please call me on ${SUBJECT.phone}.\n\nRegards,\n${SUBJECT.name}`,
        reply: `Hi ${SUBJECT.name}, a technician will call you on ${SUBJECT.phone} tomorrow about error E${n}. Your case is booked under ${SUBJECT.email}.`,
      });
    }
    openTicket = harvested.sandbox.store.addTicket({ subject: 'Dishwasher still broken', body: `It broke again. ${SUBJECT.name}, ${SUBJECT.phone}`, requester: { name: SUBJECT.name, email: SUBJECT.email } }).id;
    expect((await harvestNow(database, harvested.connection.id))?.status).toBe('succeeded');

    // Alerts: the rules flag the agent's reply; each alert is posted to the Slack sandbox.
    await scanBacklog(database, queue, policiesFor(config), log, { connectionId: harvested.connection.id });
    expect(await database.db.$count(complianceAlerts)).toBeGreaterThan(0);
    const notify = HANDLERS['slack.notify']?.(deps);
    expect((await queue.drain('slack.notify', notify!)).failed).toEqual([]);
    expect(sandboxText().slack).toContain(SUBJECT.phone);

    // Dataset → a fine-tuning run at the OpenAI sandbox on it.
    const { version } = await createAndBuild(database, home.store, { name: 'replies', task: 'reply', config: { connections: [harvested.connection.id], split: SMALL_DATASET_SPLIT } });
    expect(version.status).toBe('ready');
    const job = await createJob(database.db, { model: 'gpt-4o-mini-2024-07-18', backend: 'openai', dataset_version: version.id }, { queue, actor: 'test', backends: ['openai'] });
    await runOpenAIJob({ ...deps, store: home.store, backend: openaiBackendFor(config) }, job.id, { lastAttempt: true, pollMs: 20 });
    const [trained] = await database.db.select().from(fineTuningJobs).where(eq(fineTuningJobs.id, job.id));
    expect(trained?.status, JSON.stringify(trained?.error)).toBe('succeeded');

    // Drafts: the reply model in production writes a draft note on their open ticket.
    await database.db.update(models).set({ status: 'production', baseModel: 'tiny-reply', backend: 'local', providerModel: null }).where(eq(models.fineTuningJobId, job.id));
    const draft = HANDLERS['draft.generate']?.(deps);
    await queue.send('draft.generate', { connectionId: harvested.connection.id, sourceId: String(openTicket), deliveryId: randomUUID() });
    expect(await queue.drain('draft.generate', draft!)).toEqual({ completed: 1, failed: [] });
    const [posted] = await database.db.select().from(drafts).where(eq(drafts.sourceId, String(openTicket)));
    expect(posted?.status, posted?.reason ?? '').toBe('posted');
    expect(sandboxText().zendesk).toContain(SUBJECT.phone);
  }, 180_000);

  afterAll(async () => {
    await queue?.stop({ timeoutMs: 2_000 });
    await slackApi?.close();
    await openaiApi?.close();
    openai.close();
    await model?.close();
    await harvested?.close();
    await database?.drop();
    home.remove();
  });

  it('leaves nothing of them in any table, file or sandbox but the hashed suppression and the audit record', async () => {
    // Before: they are everywhere the loop went.
    expect(Object.keys(await databaseMentions(database, SUBJECT.phone))).toEqual(expect.arrayContaining(['public.messages', 'public.compliance_alerts', 'public.drafts']));
    expect(fileMentions(home.home, 'Ostrowski').length + fileMentions(home.home, '[NAME_').length).toBeGreaterThan(0);

    const erasure = await createErasure(database.db, keyring, { email: SUBJECT.email, name: SUBJECT.name }, 'test');
    const done = await runErasure({ database, store: home.store, log, keyring, queue, config }, erasure.id);
    expect(done?.status, JSON.stringify(done?.report)).toBe('done');

    const left: Record<string, unknown> = {};
    for (const needle of NEEDLES) {
      const tables = await databaseMentions(database, needle);
      const files = fileMentions(home.home, needle);
      const sandboxes = Object.entries(sandboxText()).filter(([, text]) => text.toLowerCase().includes(needle.toLowerCase())).map(([name]) => name);
      if (Object.keys(tables).length || files.length || sandboxes.length) left[needle] = { tables, files, sandboxes };
    }
    expect(left).toEqual({});
    // What remains: hashes, and the audit record of the erasure (which names no one).
    expect(await database.db.$count(gdprSuppressions, eq(gdprSuppressions.erasureId, erasure.id))).toBeGreaterThan(0);
    const audit = await database.db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM audit_events WHERE action = 'gdpr.erasure'`);
    expect(audit.rows[0]?.n).toBeGreaterThan(0);
  }, 120_000);
});
