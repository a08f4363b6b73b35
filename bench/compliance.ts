/**
 * Mail arrival → compliance alert posted in Slack, end to end on this machine: a real Dovecot
 * (IMAP APPEND delivers each mail), the hub's live harvest (IMAP IDLE), the rule stage of the
 * compliance scan and slack.notify through pg-boss, the Slack sandbox. Latency is measured from
 * just before the APPEND to the sandbox receiving chat.postMessage. The baseline, same run: the
 * same alert path without mail (a message stored and its scan job sent directly), so the ratio
 * shows what IMAP, IDLE and the harvest add. Goal: p95 under 10 s. BENCH_MAILS=… sets the count.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDovecot } from '../integrations/email/sandbox/dovecot.ts';
import { createSlackSandbox, DEFAULT_CHANNELS, SANDBOX_BOT_TOKEN } from '../integrations/slack/sandbox/index.ts';
import { openArtifactStore } from '../src/artifacts/index.ts';
import { loadConfig } from '../src/config.ts';
import { createConnection } from '../src/connections/store.ts';
import { connectDatabase } from '../src/db/client.ts';
import { applyMigrations } from '../src/db/migrate.ts';
import { conversations, messages } from '../src/db/schema/index.ts';
import { startLiveHarvests } from '../src/harvest/live.ts';
import { registerHandlers } from '../src/jobs/handlers.ts';
import { createLogger } from '../src/log.ts';
import { startQueue } from '../src/queue/queue.ts';
import { createKeyring } from '../src/security/encryption.ts';
import { reactToHarvest } from '../src/serving/on-harvest.ts';
import { benchDatabase } from './database.ts';

const MAILS = Number(process.env.BENCH_MAILS ?? 30);
const USER = { username: 'compliance', password: 'bench-password' };
const CHANNEL = DEFAULT_CHANNELS[0]?.id ?? 'C0SUPPORT01';

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

const mail = (i: number) =>
  [
    'From: Sam Agent <sam@company.test>',
    `To: customer${i}@customer.test`,
    `Subject: Refund ${i}`,
    `Message-ID: <bench-${i}-${randomUUID()}@company.test>`,
    `Date: ${new Date().toUTCString()}`,
    'Content-Type: text/plain; charset=utf-8',
    '',
    `Hello, about order ${i}: your money is 100% refund guaranteed.`,
    '',
  ].join('\r\n');

export async function main(): Promise<Record<string, number>> {
  const scratch = await benchDatabase();
  const home = mkdtempSync(join(tmpdir(), 'tuneloop-bench-compliance-'));
  const database = connectDatabase(scratch.url);
  const log = createLogger({ LOG_LEVEL: 'error', LOG_FORMAT: 'json' });
  const slack = createSlackSandbox({ seed: 1, threads: 1 });
  const slackServer = await slack.listen();
  const dovecot = await startDovecot({ users: [USER] });
  await applyMigrations(database);
  const queue = await startQueue({ url: scratch.url, schema: 'pgboss', log });
  const config = loadConfig({ DATABASE_URL: scratch.url, TUNELOOP_HOME: home, COMPLIANCE_SLACK_CHANNEL: CHANNEL, SLACK_BOT_TOKEN: SANDBOX_BOT_TOKEN, SLACK_API_URL: slackServer.apiUrl });
  const keyring = createKeyring(Buffer.alloc(32, 7));
  const deps = { database, queue, log, config, keyring, artifacts: openArtifactStore(config) };
  const live = { stop: async () => undefined as unknown };
  try {
    await registerHandlers(deps, ['compliance.scan', 'slack.notify'], config.WORKER_CONCURRENCY);
    const connection = await database.db.transaction((tx) =>
      createConnection(tx, keyring, { vendor: 'email', name: 'bench-mailbox', settings: { host: dovecot.host, port: dovecot.port, tls: false, agentAddresses: ['@company.test'] }, credentials: { type: 'password', ...USER }, schedule: null }, 'bench', { allowedHosts: [] }),
    );
    const posts = () => slack.store.posted.filter((entry) => entry.method === 'chat.postMessage' && entry.channel === CHANNEL);
    const waitForPosts = async (count: number, timeoutMs = 60_000) => {
      const deadline = Date.now() + timeoutMs;
      while (posts().length < count) {
        if (Date.now() > deadline) throw new Error(`no Slack alert within ${timeoutMs} ms (${posts().length}/${count})`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      return posts()[count - 1]?.time.getTime() ?? Number.NaN;
    };

    // Baseline: a stored message's scan job sent directly (queue, rules, Slack; no mail).
    const [conversation] = await database.db
      .insert(conversations)
      .values({ connectionId: connection.id, source: 'email', sourceId: '<baseline@bench>', sourceCreatedAt: new Date(), sourceUpdatedAt: new Date(), contentHash: 'baseline' })
      .returning({ id: conversations.id });
    const baseline: number[] = [];
    for (let i = 0; i < MAILS; i++) {
      const started = Date.now();
      const [row] = await database.db.insert(messages).values({ conversationId: conversation!.id, sourceId: `baseline-${i}`, position: i, authorRole: 'agent', visibility: 'public', body: `Order ${i}: your money is 100% refund guaranteed.`, sourceCreatedAt: new Date() }).returning({ id: messages.id });
      await queue.send('compliance.scan', { messageId: row!.id });
      baseline.push((await waitForPosts(i + 1)) - started);
    }

    const watching = startLiveHarvests({ database, keyring, log, batchSize: config.HARVEST_BATCH_SIZE, onStored: reactToHarvest(queue, config) }, { refreshMs: 60_000 });
    live.stop = () => watching.stop();
    // The first live harvest (on connect) reads the empty mailbox; wait until the watch holds IDLE.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const latencies: number[] = [];
    for (let i = 0; i < MAILS; i++) {
      const started = Date.now();
      await dovecot.deliver(USER, mail(i));
      latencies.push((await waitForPosts(MAILS + i + 1)) - started);
    }

    const figures = {
      alert_latency_p50_ms: percentile(latencies, 50),
      alert_latency_p95_ms: percentile(latencies, 95),
      alert_latency_max_ms: Math.max(...latencies),
      baseline_scan_to_post_p50_ms: percentile(baseline, 50),
      baseline_scan_to_post_p95_ms: percentile(baseline, 95),
      mails: MAILS,
    };
    process.stdout.write(`${MAILS} mails, each delivered after the previous alert was posted (rule stage, no model)\n`);
    process.stdout.write(`${'scan job → Slack post (baseline)'.padEnd(40)} p50 ${figures.baseline_scan_to_post_p50_ms.toFixed(0).padStart(6)} ms   p95 ${figures.baseline_scan_to_post_p95_ms.toFixed(0).padStart(6)} ms\n`);
    process.stdout.write(`${'mail APPEND → Slack post'.padEnd(40)} p50 ${figures.alert_latency_p50_ms.toFixed(0).padStart(6)} ms   p95 ${figures.alert_latency_p95_ms.toFixed(0).padStart(6)} ms   max ${figures.alert_latency_max_ms.toFixed(0)} ms\n`);
    process.stdout.write(`p95 mail / p95 baseline: ${(figures.alert_latency_p95_ms / figures.baseline_scan_to_post_p95_ms).toFixed(2)}; p95 / 10 s goal: ${(figures.alert_latency_p95_ms / 10_000).toFixed(3)}\n`);
    return figures;
  } finally {
    await live.stop();
    await queue.stop({ timeoutMs: 5_000 }).catch(() => undefined);
    await dovecot.close();
    await slackServer.close();
    await database.close();
    await scratch.done();
    rmSync(home, { recursive: true, force: true });
  }
}
