/**
 * What an operator watches (issue 17, Monitoring): /metrics carries harvest throughput and errors
 * per connection, queue depth and lag, run progress, inference latency per model, drafts and
 * alerts; and every metric and label that deploy/grafana/tuneloop.json queries exists there.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createZendeskSandbox, SANDBOX_DEFAULTS } from '../../integrations/zendesk/sandbox/index.ts';
import { createApp } from '../../src/app.ts';
import { complianceAlerts, fineTuningJobs } from '../../src/db/schema/index.ts';
import { registry } from '../../src/metrics.ts';
// What a hub or worker process loads (every job handler, so every metric module), as main.ts does.
import '../../src/main.ts';
import { startQueue, type Queue } from '../../src/queue/queue.ts';
import { testDeps } from '../support/app.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { addConnection, harvestNow } from '../support/harvest.ts';
import { captureLogger } from '../support/logger.ts';
import { ROOT } from './tools.ts';

interface Dashboard {
  uid: string;
  panels: Array<{ type: string; title: string; datasource?: { uid: string }; targets?: Array<{ expr: string }> }>;
}
const dashboard = JSON.parse(readFileSync(join(ROOT, 'deploy/grafana/tuneloop.json'), 'utf8')) as Dashboard;
const expressions = dashboard.panels.flatMap((panel) => panel.targets ?? []).map((target) => target.expr);

/** Metric names an expression reads, histogram series mapped to the histogram. */
function metricsIn(expr: string): string[] {
  return [...expr.matchAll(/\btuneloop_[a-z0-9_]+/g)].map(([name]) => name.replace(/_(bucket|sum|count)$/, (suffix) => (registry.getSingleMetric(name) ? suffix : '')));
}

function labelNames(metric: string): string[] {
  // prom-client keeps each metric's declared label names on the instance.
  return (registry.getSingleMetric(metric) as unknown as { labelNames?: string[] } | undefined)?.labelNames ?? [];
}

/** The value of one sample in an exposition text, or undefined. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const body = line.slice(name.length + 1, line.lastIndexOf('}'));
    if (Object.entries(labels).every(([key, value]) => body.includes(`${key}="${value}"`))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

describe('monitoring: /metrics and the Grafana dashboard', () => {
  let database: TestDatabase;
  let queue: Queue;

  beforeAll(async () => {
    database = await createTestDatabase();
    queue = await startQueue({ url: database.url, schema: 'pgboss', log: captureLogger().log });
  });
  afterAll(async () => {
    await queue.stop({ timeoutMs: 2_000 });
    await database.drop();
  });

  async function scrape(): Promise<string> {
    const response = await createApp(testDeps(database, queue)).request('/metrics');
    expect(response.status).toBe(200);
    return response.text();
  }

  it('every metric and grouping label the dashboard queries exists in /metrics', async () => {
    const text = await scrape();
    const exposed = new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((match) => match[1]));
    expect(expressions.length).toBeGreaterThan(15);
    for (const expr of expressions) {
      const metrics = metricsIn(expr);
      expect(metrics.length, expr).toBeGreaterThan(0);
      for (const metric of metrics) expect(exposed.has(metric), `${metric} (in ${expr})`).toBe(true);
      const known = new Set(['le', ...metrics.flatMap(labelNames)]);
      for (const [, group] of expr.matchAll(/\bby \(([^)]*)\)/g)) {
        for (const label of (group ?? '').split(',').map((each) => each.trim())) expect(known.has(label), `label ${label} in ${expr}`).toBe(true);
      }
    }
  });

  it('the dashboard has a panel for each thing an operator watches, on the provisioned data source', () => {
    const queried = new Set(expressions.flatMap(metricsIn));
    for (const metric of [
      'tuneloop_harvest_conversations_total',
      'tuneloop_harvest_errors_total',
      'tuneloop_queue_depth',
      'tuneloop_queue_oldest_job_age_seconds',
      'tuneloop_run_progress_ratio',
      'tuneloop_inference_duration_seconds',
      'tuneloop_drafts_total',
      'tuneloop_draft_feedback_total',
      'tuneloop_alerts',
    ]) {
      expect(queried.has(metric), metric).toBe(true);
    }
    const datasources = parse(readFileSync(join(ROOT, 'deploy/grafana/provisioning/datasources/prometheus.yml'), 'utf8')) as { datasources: Array<{ uid: string }> };
    const uid = datasources.datasources[0]?.uid;
    for (const panel of dashboard.panels.filter((each) => each.type !== 'row')) expect(panel.datasource?.uid, panel.title).toBe(uid);
    const provider = parse(readFileSync(join(ROOT, 'deploy/grafana/provisioning/dashboards/tuneloop.yml'), 'utf8')) as { providers: Array<{ options: { path: string } }> };
    const compose = readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8');
    expect(compose).toContain(`./deploy/grafana/tuneloop.json:${provider.providers[0]?.options.path}/tuneloop.json:ro`);
  });

  it('counts harvested conversations and harvest errors per connection', async () => {
    const sandbox = createZendeskSandbox({ seed: 3, tickets: 30 });
    const server = await sandbox.listen();
    try {
      const good = await addConnection(database, { vendor: 'zendesk', name: 'metrics-good', settings: { baseUrl: server.url }, credentials: { type: 'api_token', email: SANDBOX_DEFAULTS.email, token: SANDBOX_DEFAULTS.apiToken } });
      const bad = await addConnection(database, { vendor: 'zendesk', name: 'metrics-bad', settings: { baseUrl: server.url }, credentials: { type: 'api_token', email: SANDBOX_DEFAULTS.email, token: 'wrong' } });
      expect((await harvestNow(database, good.id, 10))?.status).toBe('succeeded');
      expect((await harvestNow(database, bad.id, 10))?.status).toBe('failed');
    } finally {
      await server.close();
    }
    const text = await scrape();
    expect(sample(text, 'tuneloop_harvest_conversations_total', { connection: 'metrics-good', vendor: 'zendesk' })).toBe(30);
    expect(sample(text, 'tuneloop_harvest_runs_total', { connection: 'metrics-good', outcome: 'succeeded' })).toBe(1);
    expect(sample(text, 'tuneloop_harvest_errors_total', { connection: 'metrics-bad', vendor: 'zendesk' })).toBe(1);
    expect(sample(text, 'tuneloop_harvest_errors_total', { connection: 'metrics-good' })).toBeUndefined();
  });

  it('reads queue lag, run progress and alerts by policy and state from the database at scrape time', async () => {
    await queue.send('triage.apply', { connectionId: crypto.randomUUID(), sourceId: 'lag' });
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const [run] = await database.db
      .insert(fineTuningJobs)
      .values({ backend: 'local', status: 'running', model: 'tiny', method: 'lora', hyperparameters: {}, seed: 1, task: 'reply', createdBy: 'test', progress: { step: 30, totalSteps: 120, loss: 1.25, evalLoss: 1.5 } })
      .returning();
    await database.db.insert(fineTuningJobs).values({ backend: 'local', status: 'succeeded', model: 'tiny', method: 'lora', hyperparameters: {}, seed: 1, task: 'reply', createdBy: 'test', progress: { step: 9, totalSteps: 9 } });
    const messages = await database.db.execute<{ id: string; conversation_id: string }>(sql`SELECT id, conversation_id FROM messages ORDER BY id LIMIT 3`);
    expect(messages.rows.length).toBe(3);
    const [first, second, third] = messages.rows.map((row) => ({ messageId: Number(row.id), conversationId: Number(row.conversation_id) }));
    await database.db.insert(complianceAlerts).values([
      { ...first!, policyId: 'pii-leak', policyVersion: 1, severity: 'high', evidence: [], status: 'open' },
      { ...second!, policyId: 'pii-leak', policyVersion: 1, severity: 'high', evidence: [], status: 'resolved' },
      { ...third!, policyId: 'forbidden-promise', policyVersion: 1, severity: 'medium', evidence: [], status: 'open' },
    ]);

    const text = await scrape();
    expect(sample(text, 'tuneloop_queue_oldest_job_age_seconds', { name: 'triage.apply' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'tuneloop_queue_oldest_job_age_seconds', { name: 'drift.check' })).toBe(0);
    expect(sample(text, 'tuneloop_run_progress_ratio', { run: run!.id, task: 'reply' })).toBe(0.25);
    expect(sample(text, 'tuneloop_run_train_loss', { run: run!.id })).toBe(1.25);
    expect(sample(text, 'tuneloop_run_eval_loss', { run: run!.id })).toBe(1.5);
    expect(sample(text, 'tuneloop_runs', { status: 'running' })).toBe(1);
    expect(sample(text, 'tuneloop_runs', { status: 'succeeded' })).toBe(1);
    expect(sample(text, 'tuneloop_alerts', { policy: 'pii-leak', state: 'open' })).toBe(1);
    expect(sample(text, 'tuneloop_alerts', { policy: 'pii-leak', state: 'resolved' })).toBe(1);
    expect(sample(text, 'tuneloop_alerts', { policy: 'forbidden-promise', state: 'open', severity: 'medium' })).toBe(1);

    // A finished run leaves the per-run gauges.
    await database.db.update(fineTuningJobs).set({ status: 'succeeded' }).where(sql`${fineTuningJobs.id} = ${run!.id}`);
    expect(sample(await scrape(), 'tuneloop_run_progress_ratio', { run: run!.id })).toBeUndefined();
  });
});
