import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openArtifactStore } from '../../src/artifacts/index.ts';
import { createApp } from '../../src/app.ts';
import { createToken } from '../../src/auth/tokens.ts';
import { eventDeliveries, models } from '../../src/db/schema/index.ts';
import { createSubscription } from '../../src/events/subscriptions.ts';
import { formatDriftMetrics } from '../../src/cli/models/drift.ts';
import { checkDrift } from '../../src/models/drift/check.ts';
import { driftMessage } from '../../src/models/drift/view.ts';
import { forgetServingState } from '../../src/models/registry/registry.ts';
import { startQueue, type Queue } from '../../src/queue/queue.ts';
import { testDeps } from '../support/app.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { captureLogger } from '../support/logger.ts';
import { bitextRows, createConnection, germanRows, storeConversations, storeTriageVersion } from './drift-support.ts';

describe('drift of live inputs against the production model training set', () => {
  let database: TestDatabase;
  let queue: Queue;
  let deps: ReturnType<typeof testDeps>;
  let versionId: string;
  let connectionId: string;
  const home = mkdtempSync(join(tmpdir(), 'tuneloop-drift-'));
  const rows = bitextRows();
  const hoursAgo = (hours: number) => new Date(Date.now() - hours * 3600_000);

  beforeAll(async () => {
    database = await createTestDatabase();
    queue = await startQueue({ url: database.url, schema: 'pgboss', log: captureLogger().log });
    deps = testDeps(database, queue, { TUNELOOP_HOME: home, EVENTS_ALLOW_PRIVATE_URLS: 'true' });
    connectionId = await createConnection(database.db, 'helpdesk');
    ({ versionId } = await storeTriageVersion(database.db, openArtifactStore(deps.config), connectionId, 'triage-intents', rows.slice(0, 1800), rows.slice(1800, 2100)));
    await createSubscription(database.db, deps.keyring, { url: 'http://127.0.0.1:9/drift', events: ['drift.detected'] }, { actor: 'test', allowPrivate: true });
  });
  afterAll(async () => {
    await queue?.stop({ timeoutMs: 5_000 });
    await database?.drop();
    rmSync(home, { recursive: true, force: true });
  });

  const promote = async (promotedAt: Date) => {
    await database.db.update(models).set({ status: 'archived', archivedAt: new Date() }).where(eq(models.status, 'production'));
    const [model] = await database.db.insert(models).values({ task: 'triage', backend: 'local', baseModel: 'tiny', datasetVersionId: versionId, status: 'production', promotedAt }).returning();
    forgetServingState(database.db, 'triage');
    return model!;
  };
  const slackJobs = async () => (await database.db.execute<{ count: number }>(sql`SELECT count(*)::int AS count FROM pgboss.job WHERE name = 'slack.notify' AND data->>'kind' = 'drift.detected'`)).rows[0]!.count;

  it('reports no drift when live messages come from the same distribution', async () => {
    const model = await promote(hoursAgo(3));
    await storeConversations(database.db, connectionId, rows.slice(2100, 2700), hoursAgo(2), 'same');
    const report = await checkDrift({ db: database.db, queue, config: deps.config }, 'triage');
    console.log('same distribution', JSON.stringify({ language: report.metrics.language, labels: report.metrics.labels, length: report.metrics.length, vocabulary: report.metrics.vocabulary, score: report.score }));
    expect(report).toMatchObject({ task: 'triage', modelId: model.id, drifted: false });
    expect(report.metrics.live.messages).toBe(600);
    expect(report.metrics.train.examples).toBe(1800);
    expect(report.metrics.labels.intent?.jsDistance).toBeLessThan(deps.config.DRIFT_JS_THRESHOLD);
    expect(report.metrics.reasons).toEqual([]);
    expect(formatDriftMetrics(report.metrics)).toContain('no drift');
    expect(await slackJobs()).toBe(0);
    expect(await database.db.$count(eventDeliveries)).toBe(0);
  });

  it('reports drift when the language and intent mix shift, notifies Slack once and emits drift.detected', async () => {
    const model = await promote(hoursAgo(1));
    const narrowIntents = rows.slice(2100).filter((row) => row.intent === 'cancel_order' || row.intent === 'get_refund').slice(0, 100);
    await storeConversations(database.db, connectionId, [...germanRows(150), ...narrowIntents], hoursAgo(0.5), 'shifted');
    const report = await checkDrift({ db: database.db, queue, config: deps.config }, 'triage');
    console.log('shifted distribution', JSON.stringify({ language: report.metrics.language, labels: report.metrics.labels, length: report.metrics.length, vocabulary: report.metrics.vocabulary, score: report.score }));
    expect(report).toMatchObject({ modelId: model.id, drifted: true });
    expect(report.metrics.live.messages).toBe(150 + narrowIntents.length);
    expect(report.metrics.language.jsDistance).toBeGreaterThan(deps.config.DRIFT_JS_THRESHOLD);
    expect(report.metrics.labels.intent?.jsDistance).toBeGreaterThan(deps.config.DRIFT_JS_THRESHOLD);
    expect(report.metrics.vocabulary.excessUnseenShare).toBeGreaterThan(deps.config.DRIFT_UNSEEN_TOKENS_THRESHOLD);
    expect(report.score).toBeGreaterThan(1);
    expect(formatDriftMetrics(report.metrics)).toMatch(/DRIFTED: language \(JS [\d.]+\); label intent/);
    expect(await slackJobs()).toBe(1);
    expect(driftMessage(report).text).toMatch(/^Drift on triage: language/);
    const [delivery] = await database.db.select().from(eventDeliveries);
    expect(delivery).toMatchObject({ eventType: 'drift.detected', payload: { type: 'drift.detected', data: { subjectId: report.id, task: 'triage', modelId: model.id } } });

    // Still drifted an hour later: stored, but no second alert.
    const again = await checkDrift({ db: database.db, queue, config: deps.config }, 'triage');
    expect(again.drifted).toBe(true);
    expect(await slackJobs()).toBe(1);
    expect(await database.db.$count(eventDeliveries)).toBe(1);
  });

  it('GET /api/v1/drift lists the reports of a task, newest first', async () => {
    const app = createApp(deps);
    const { token } = await createToken(database.db, 'drift', 'test');
    const response = await app.request('/api/v1/drift?task=triage', { headers: { Authorization: `Bearer ${token}` } });
    const body = (await response.json()) as { data: Array<{ drifted: boolean; metrics: Record<string, unknown> }> };
    expect(response.status).toBe(200);
    expect(body.data.map((report) => report.drifted)).toEqual([true, true, false]);
    expect((await app.request('/api/v1/drift?task=nope!', { headers: { Authorization: `Bearer ${token}` } })).status).toBe(400);
  });

  it('says why when there is too little live data, and never calls that drift', async () => {
    await promote(new Date());
    const report = await checkDrift({ db: database.db, queue, config: deps.config }, 'triage');
    expect(report.drifted).toBe(false);
    expect(report.metrics.insufficient).toMatch(/0 live customer messages/);
  });
});
