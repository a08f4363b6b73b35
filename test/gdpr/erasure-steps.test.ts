/**
 * GDPR erasure as recorded, resumable steps (issue 20): an unknown subject is zero places and
 * succeeds; a run stopped after its database step (as a kill leaves it) is resumed to the end; the
 * Slack message of their alert is redacted with chat.update; copies in job payloads and stray files
 * are swept; models trained on their data cannot be promoted; a later harvest does not bring them
 * back, and their new tickets get no drafts. Real Postgres and pg-boss, the Zendesk and Slack
 * sandboxes through the real SDKs.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOpenAISandbox, SANDBOX_API_KEY as OPENAI_SANDBOX_KEY } from '../../integrations/openai/sandbox/index.ts';
import { createSlackSandbox, DEFAULT_CHANNELS, SANDBOX_BOT_TOKEN } from '../../integrations/slack/sandbox/index.ts';
import { loadConfig } from '../../src/config.ts';
import { complianceAlerts, connections, conversations, drafts, fineTuningJobs, gdprErasures, gdprSuppressions, models } from '../../src/db/schema/index.ts';
import type { ErasureRequest } from '../../src/gdpr/erase.ts';
import { createErasure, getErasure } from '../../src/gdpr/erasures.ts';
import { REDACTED_ALERT_TEXT } from '../../src/gdpr/outside-step.ts';
import { ErasureStopped, resumeErasures, runErasure, type ErasureRunDeps } from '../../src/gdpr/run.ts';
import { HANDLERS } from '../../src/jobs/handlers.ts';
import { forgetServingState, RegistryError } from '../../src/models/registry/registry.ts';
import { promote } from '../../src/models/registry/promotion.ts';
import { startQueue, type Queue } from '../../src/queue/queue.ts';
import { slackChatFor } from '../../src/serving/compliance/alerts/deliver-slack.ts';
import { writeBackFor } from '../../src/serving/writeback.ts';
import { openaiBackendFor } from '../../src/training/openai/runner.ts';
import { openArtifactStore } from '../../src/artifacts/index.ts';
import { addSolvedTicket, createAndBuild, harvestSandbox, tempHome, type HarvestedSandbox } from '../datasets/helpers.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { harvestNow, testKeyring } from '../support/harvest.ts';
import { captureLogger } from '../support/logger.ts';

const SUBJECT = { name: 'Ottilie Brandvold', email: 'ottilie.brandvold@example.net', phone: '+49 40 5550 7781' };
const CHANNEL = DEFAULT_CHANNELS[0]?.id ?? 'C0SUPPORT01';

/** Rows of every table (public and the job queue's) whose text contains `needle`. */
async function databaseMentions(database: TestDatabase, needle: string): Promise<Record<string, number>> {
  const tables = await database.db.execute<{ s: string; t: string }>(sql`SELECT table_schema AS s, table_name AS t FROM information_schema.tables WHERE table_schema IN ('public', 'pgboss') AND table_type = 'BASE TABLE'`);
  const found: Record<string, number> = {};
  for (const { s, t } of tables.rows) {
    const result = await database.db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM ${sql.identifier(s)}.${sql.identifier(t)} x WHERE position(${needle.toLowerCase()} in lower(x::text)) > 0`);
    if ((result.rows[0]?.n ?? 0) > 0) found[`${s}.${t}`] = result.rows[0]?.n ?? 0;
  }
  return found;
}

describe('GDPR erasure steps', () => {
  let database: TestDatabase;
  let queue: Queue;
  let harvested: HarvestedSandbox;
  const slack = createSlackSandbox({ seed: 5, threads: 1 });
  let slackApi: { apiUrl: string; close(): Promise<void> };
  const openaiSandbox = createOpenAISandbox({ seed: 5 });
  let openaiApi: { url: string; close(): Promise<void> };
  const home = tempHome();
  const keyring = testKeyring();
  let config: ReturnType<typeof loadConfig>;
  const deps = (extra: Partial<ErasureRunDeps> = {}): ErasureRunDeps => ({ database, store: home.store, log: captureLogger().log, keyring, queue, config, ...extra });
  const request = async (input: ErasureRequest) => (await createErasure(database.db, keyring, input, 'test')).id;

  beforeAll(async () => {
    database = await createTestDatabase();
    queue = await startQueue({ url: database.url, schema: 'pgboss', log: captureLogger().log });
    slackApi = await slack.listen();
    openaiApi = await openaiSandbox.listen();
    config = loadConfig({
      DATABASE_URL: database.url,
      TUNELOOP_HOME: home.home,
      SLACK_BOT_TOKEN: SANDBOX_BOT_TOKEN,
      SLACK_API_URL: slackApi.apiUrl,
      COMPLIANCE_SLACK_CHANNEL: CHANNEL,
      OPENAI_API_KEY: OPENAI_SANDBOX_KEY,
      OPENAI_BASE_URL: `${openaiApi.url}/v1`,
    });
    harvested = await harvestSandbox(database, { seed: 61, tickets: 60, name: 'zd-erase-steps' });
    addSolvedTicket(harvested.sandbox, {
      requester: { name: SUBJECT.name, email: SUBJECT.email },
      subject: 'My washing machine leaks',
      customer: `My washing machine leaks since Monday. Call me on ${SUBJECT.phone}.\n\nRegards,\n${SUBJECT.name}`,
      reply: `Hi ${SUBJECT.name}, a technician will call you on ${SUBJECT.phone} tomorrow.`,
    });
    expect((await harvestNow(database, harvested.connection.id))?.status).toBe('succeeded');
  }, 120_000);
  afterAll(async () => {
    await queue?.stop({ timeoutMs: 2_000 });
    await slackApi?.close();
    await openaiApi?.close();
    openaiSandbox.close();
    await harvested?.close();
    await database?.drop();
    home.remove();
  });

  it('an unknown subject: zero places, and the erasure succeeds', async () => {
    const done = await runErasure(deps(), await request({ email: 'nobody.known@example.org' }));
    expect(done?.status).toBe('done');
    expect(done?.stepsDone).toEqual(['database', 'files', 'outside', 'residue', 'retrain']);
    expect(done?.report).toMatchObject({
      database: { conversations: 0, messages: 0, versions: [], alertsDeleted: 0, draftsDeleted: 0 },
      files: { datasetFiles: 0, runCopies: 0, evaluationFolders: 0, otherFiles: [], uploadedFilesDeleted: 0 },
      outside: { slackMessagesRedacted: 0, notesRedacted: 0, openaiFilesDeleted: 0, left: [] },
      residue: { redacted: {} },
      retrain: { promotionBlocked: [], retrainsStarted: [], left: [] },
      left: [],
    });
    expect(done?.work).toBeNull();
  });

  it('stopped after the database step (as a kill leaves it), resumed to the end: Slack, files, job data, promotion, suppression', async () => {
    const { version } = await createAndBuild(database, home.store, { name: 'erase-steps', task: 'reply', config: { connections: [harvested.connection.id] } });
    const [model] = await database.db.insert(models).values({ task: 'reply', backend: 'local', baseModel: 'tiny', datasetVersionId: version.id }).returning();
    // Their alert, posted to Slack with the evidence.
    const [message] = (await database.db.execute<{ id: number; conversation_id: number }>(sql`
      SELECT m.id, m.conversation_id FROM messages m JOIN conversations c ON c.id = m.conversation_id
      WHERE c.requester->>'email' = ${SUBJECT.email} AND m.author_role = 'customer' LIMIT 1`)).rows;
    const chat = slackChatFor({ channel: CHANNEL, token: SANDBOX_BOT_TOKEN, apiUrl: slackApi.apiUrl });
    const posted = await chat!.post({ channel: CHANNEL, text: `PII leak: ${SUBJECT.phone} in a message by ${SUBJECT.name}`, blocks: [] });
    await database.db.insert(complianceAlerts).values({ messageId: message!.id, conversationId: message!.conversation_id, policyId: 'pii-leak', policyVersion: 1, severity: 'high', evidence: [{ start: 0, end: 5, excerpt: SUBJECT.phone, kind: 'PHONE' }], slackChannel: posted.channel, slackTs: posted.ts });
    // tuneloop's draft note on their ticket at Zendesk, through the real write-back.
    const ticketId = (await database.db.execute<{ source_id: string }>(sql`SELECT source_id FROM conversations WHERE id = ${message!.conversation_id}`)).rows[0]!.source_id;
    const [connectionRow] = await database.db.select().from(connections).where(eq(connections.id, harvested.connection.id));
    const writeBack = writeBackFor(database.db, keyring, connectionRow!);
    const draftText = `Hi ${SUBJECT.name}, the technician calls ${SUBJECT.phone} tomorrow. ref tl-erase0001`;
    const { noteId } = await writeBack!.postInternalNote(ticketId, draftText, 'ref tl-erase0001');
    await database.db.insert(drafts).values({ connectionId: harvested.connection.id, source: 'zendesk', sourceId: ticketId, task: 'reply', status: 'posted', text: draftText, noteId });
    // A fine-tuning run at OpenAI on the version that holds them: its uploaded file is a copy.
    const openaiFileId = await openaiBackendFor(config)!.uploadFile('train.jsonl', new TextEncoder().encode(`{"messages":[{"role":"user","content":"${SUBJECT.email}"}]}\n`));
    await database.db.insert(fineTuningJobs).values({ backend: 'openai', model: 'gpt-4o-mini-2024-07-18', method: 'supervised', hyperparameters: {}, seed: 1, task: 'reply', createdBy: 'test', datasetVersionId: version.id, providerFiles: { training: openaiFileId } });
    expect(openaiSandbox.store.files.has(openaiFileId)).toBe(true);
    // Copies no other step knows of: a job's payload and a stray export file.
    await queue.send('slack.notify', { kind: 'alert.raised', subjectId: `note for ${SUBJECT.email}` });
    const stray = join(home.home, 'exports', 'tickets.jsonl');
    mkdirSync(join(home.home, 'exports'), { recursive: true });
    writeFileSync(stray, `{"requester":"${SUBJECT.email}"}\n{"requester":"someone.else@example.org"}\n`);
    const unrelated = join(home.home, 'exports', 'other.jsonl');
    writeFileSync(unrelated, '{"requester":"someone.else@example.org"}\n');

    const id = await request({ email: SUBJECT.email, name: SUBJECT.name });
    await expect(runErasure(deps({ stopAfter: 'database' }), id)).rejects.toBeInstanceOf(ErasureStopped);
    const stopped = await getErasure(database.db, id);
    expect(stopped).toMatchObject({ status: 'running', stepsDone: ['database'] });
    expect(stopped?.work).toMatch(/^v2\./); // sealed, not readable
    expect(stopped?.work).not.toContain('ottilie');
    // Another process does not take it while its heartbeat is fresh; `gdpr resume` (force) does.
    expect(await resumeErasures(deps())).toEqual([]);
    const [resumed] = await resumeErasures(deps(), { force: true });
    expect(resumed).toMatchObject({ id, status: 'done', stepsDone: ['database', 'files', 'outside', 'residue', 'retrain'], work: null });

    const report = resumed!.report as Record<string, Record<string, unknown>>;
    expect(report.database).toMatchObject({ conversations: 1, alertsDeleted: 1, modelsFlagged: 1 });
    expect(report.outside).toMatchObject({ slackMessagesRedacted: 1, notesRedacted: 1, openaiFilesDeleted: 1, left: [] });
    expect(openaiSandbox.store.files.has(openaiFileId)).toBe(false);
    const note = harvested.sandbox.store.tickets.get(Number(ticketId))?.comments.find((comment) => String(comment.id) === noteId);
    expect(note?.body).toMatch(/^▇+$/);
    expect(report.files?.otherFiles).toEqual(['exports/tickets.jsonl']);
    expect(report.residue?.redacted).toMatchObject({ 'pgboss.job.data': 1 });
    expect(report.retrain).toMatchObject({ promotionBlocked: [model!.id] });
    expect(existsSync(stray)).toBe(false);
    expect(readFileSync(unrelated, 'utf8')).toContain('someone.else');

    // The Slack message now says the evidence was erased.
    const inSlack = slack.store.channel(posted.channel)?.byTs.get(posted.ts);
    expect(inSlack?.text).toContain(REDACTED_ALERT_TEXT);
    expect(inSlack?.text).not.toContain(SUBJECT.phone);

    // Nothing of them in any table (job data included) but the hashed suppression and the audit record.
    for (const needle of [SUBJECT.email, 'brandvold', SUBJECT.phone]) expect(await databaseMentions(database, needle)).toEqual({});
    expect(await database.db.$count(gdprSuppressions, eq(gdprSuppressions.erasureId, id))).toBeGreaterThan(0);

    // The model trained on their data cannot be promoted.
    const refused = await promote(database.db, model!.id, { actor: 'test', force: true, reason: 'try' }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(RegistryError);
    expect((refused as Error).message).toMatch(/GDPR erasure replaced/);
  }, 120_000);

  it('a later harvest does not bring them back, and their new ticket gets no draft', async () => {
    const before = await database.db.$count(conversations);
    // They write again, and their old ticket changes: both come in the next incremental export.
    const fresh = harvested.sandbox.store.addTicket({ subject: 'Still leaking', body: `It leaks again. ${SUBJECT.name}`, requester: { name: SUBJECT.name, email: SUBJECT.email } });
    const other = harvested.sandbox.store.addTicket({ subject: 'Broken door', body: 'The fridge door is broken.', requester: { name: 'Hugo Sandberg', email: 'hugo.sandberg@example.org' } });
    expect((await harvestNow(database, harvested.connection.id))?.status).toBe('succeeded');
    expect(await database.db.$count(conversations)).toBe(before + 1);
    expect(await database.db.$count(conversations, eq(conversations.sourceId, String(other.id)))).toBe(1);
    expect(await databaseMentions(database, SUBJECT.email)).toEqual({});

    await database.db.insert(models).values({ task: 'reply', backend: 'local', baseModel: 'base', status: 'production' });
    forgetServingState(database.db, 'reply');
    const handler = HANDLERS['draft.generate']?.({ database, queue, log: captureLogger().log, config, keyring, artifacts: openArtifactStore(config) });
    await queue.send('draft.generate', { connectionId: harvested.connection.id, sourceId: String(fresh.id), deliveryId: randomUUID() });
    expect(await queue.drain('draft.generate', handler!)).toEqual({ completed: 1, failed: [] });
    const [row] = await database.db.select().from(drafts).where(eq(drafts.sourceId, String(fresh.id)));
    expect(row).toMatchObject({ status: 'skipped', reason: expect.stringMatching(/erased \(GDPR\)/) });
    expect(await databaseMentions(database, SUBJECT.email)).toEqual({});
    expect(await database.db.$count(gdprErasures)).toBe(2);
  }, 120_000);
});
