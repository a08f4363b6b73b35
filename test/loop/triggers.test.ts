/**
 * Every retraining trigger fires in a test, and each firing starts exactly one retraining although
 * two hub replicas (their own connection pools and pg-boss instances on one database) evaluate the
 * same policy at the same moment: cron, drift, acceptance below a rate, and N new *examples*.
 */
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDatabase, type Database } from '../../src/db/client.ts';
import { conversations, drafts, driftReports, messages, retrainingRuns } from '../../src/db/schema/index.ts';
import { createDataset } from '../../src/datasets/versions.ts';
import { evaluateAllPolicies, setPolicy, syncPolicySchedule } from '../../src/models/retraining/policies.ts';
import { startQueue, type Queue } from '../../src/queue/queue.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { captureLogger } from '../support/logger.ts';
import { createConnection } from '../models/drift-support.ts';
import { insertModel } from '../models/support.ts';

interface Replica {
  database: Database;
  queue: Queue;
}

/** Two hubs on one database; `fire` evaluates on both at once, as two replicas' ticks would. */
async function twoReplicas(database: TestDatabase): Promise<{ replicas: Replica[]; fire: (only?: { task: string; scheduled: boolean }) => Promise<number>; stop(): Promise<void> }> {
  const { log } = captureLogger();
  const replicas: Replica[] = [];
  for (let i = 0; i < 2; i++) {
    const replicaDb = i === 0 ? database : connectDatabase(database.url);
    replicas.push({ database: replicaDb, queue: await startQueue({ url: database.url, schema: 'pgboss', log }) });
  }
  return {
    replicas,
    fire: async (only) => (await Promise.all(replicas.map((r) => evaluateAllPolicies({ db: r.database.db, queue: r.queue, log }, only)))).flat().length,
    stop: async () => {
      for (const [i, r] of replicas.entries()) {
        await r.queue.stop({ timeoutMs: 2_000 });
        if (i > 0) await r.database.close();
      }
    },
  };
}

const training = { model: 'tiny-base' };

describe('retraining triggers, each firing once across two replicas', () => {
  let database: TestDatabase;
  let hubs: Awaited<ReturnType<typeof twoReplicas>>;
  let connectionId: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    hubs = await twoReplicas(database);
    connectionId = await createConnection(database.db, 'helpdesk');
  });
  afterAll(async () => {
    await hubs?.stop();
    await database?.drop();
  });

  const runsOf = (task: string) => database.db.select().from(retrainingRuns).where(eq(retrainingRuns.task, task));
  const builds = async () => Number((await database.db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'dataset.build'`)).rows[0]?.n);

  /** A solved conversation: one customer message answered by `replies` agent replies. */
  async function conversationWithReplies(key: string, replies: number): Promise<void> {
    const at = new Date();
    const [conversation] = await database.db
      .insert(conversations)
      .values({ connectionId, source: 'zendesk', sourceId: key, subject: 'Order', status: 'solved', sourceCreatedAt: at, sourceUpdatedAt: at, contentHash: key, messageCount: replies + 1 })
      .returning();
    await database.db.insert(messages).values([
      { conversationId: conversation!.id, sourceId: `${key}-0`, position: 0, authorRole: 'customer', visibility: 'public', body: 'Where is my order?', sourceCreatedAt: at },
      ...Array.from({ length: replies }, (_, i) => ({ conversationId: conversation!.id, sourceId: `${key}-${i + 1}`, position: i + 1, authorRole: 'agent' as const, visibility: 'public' as const, body: `It ships today (${i + 1}).`, sourceCreatedAt: at })),
      // An internal note is no example.
      { conversationId: conversation!.id, sourceId: `${key}-note`, position: replies + 1, authorRole: 'agent', visibility: 'internal', body: 'checked the warehouse', sourceCreatedAt: at },
    ]);
  }

  it('N new examples: counts reply examples (agent replies), not conversations', async () => {
    await createDataset(database.db, { name: 'replies', task: 'reply', config: { connections: [connectionId] } }, 'test');
    await setPolicy(database.db, { task: 'reply', dataset: 'replies', training, triggers: { minNewExamples: 6 } }, 'test');
    await conversationWithReplies('a', 2);
    await conversationWithReplies('b', 2);
    expect(await hubs.fire()).toBe(0);
    // Three conversations, six examples: a count of conversations would still wait.
    await conversationWithReplies('c', 2);
    expect(await hubs.fire()).toBe(1);
    const runs = await runsOf('reply');
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ trigger: 'min_new_examples', reason: { newExamples: 6, threshold: 6 } });
    expect(await builds()).toBe(1);
    // Nothing new since: no second firing.
    expect(await hubs.fire()).toBe(0);
  });

  it('cron: the policy gets its own schedule, and one tick seen by both replicas fires once', async () => {
    await createDataset(database.db, { name: 'tickets', task: 'triage', config: { connections: [connectionId] } }, 'test');
    const policy = await setPolicy(database.db, { task: 'triage', dataset: 'tickets', training, triggers: { cron: '0 3 * * 1' } }, 'test');
    await syncPolicySchedule(hubs.replicas[0]!.queue, policy);
    expect(await hubs.replicas[1]!.queue.scheduleKeys('retrain.evaluate')).toContain('retrain.triage');
    // Not its tick: the periodic evaluation of all policies does not fire a cron-only policy.
    expect(await hubs.fire()).toBe(0);
    const before = await builds();
    expect(await hubs.fire({ task: 'triage', scheduled: true })).toBe(1);
    const runs = await runsOf('triage');
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ trigger: 'cron', reason: { cron: '0 3 * * 1' } });
    expect(await builds()).toBe(before + 1);
  });

  it('drift: a drifted report since the last firing fires once', async () => {
    await createDataset(database.db, { name: 'checks', task: 'compliance', config: { connections: [connectionId] } }, 'test');
    await setPolicy(database.db, { task: 'compliance', dataset: 'checks', training, triggers: { onDrift: true } }, 'test');
    await database.db.insert(driftReports).values({ task: 'compliance', metrics: {}, drifted: false, score: 0.4 });
    expect(await hubs.fire()).toBe(0);
    const [report] = await database.db.insert(driftReports).values({ task: 'compliance', metrics: {}, drifted: true, score: 1.7 }).returning();
    expect(await hubs.fire()).toBe(1);
    const runs = await runsOf('compliance');
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ trigger: 'on_drift', reason: { driftReportId: report!.id, score: 1.7 } });
    expect(await hubs.fire()).toBe(0);
  });
});

describe('the acceptance trigger, once across two replicas', () => {
  let database: TestDatabase;
  let hubs: Awaited<ReturnType<typeof twoReplicas>>;

  beforeAll(async () => {
    database = await createTestDatabase();
    hubs = await twoReplicas(database);
  });
  afterAll(async () => {
    await hubs?.stop();
    await database?.drop();
  });

  it('fires when the production model’s drafts are accepted below the rate, once enough were judged', async () => {
    const connectionId = await createConnection(database.db, 'helpdesk');
    await createDataset(database.db, { name: 'replies', task: 'reply', config: { connections: [connectionId] } }, 'test');
    await setPolicy(database.db, { task: 'reply', dataset: 'replies', training, triggers: { acceptanceBelow: 0.5 } }, 'test');
    const production = await insertModel(database.db, 'reply', 'production');
    const judged = async (from: number, count: number, accepted: (i: number) => boolean) => {
      for (let i = from; i < from + count; i++) {
        await database.db.insert(drafts).values({ connectionId, source: 'zendesk', sourceId: `t-${i}`, task: 'reply', modelId: production.id, status: 'posted', text: 'draft', finalReply: 'sent', similarity: accepted(i) ? 0.9 : 0.1, accepted: accepted(i), feedbackAt: new Date() });
      }
    };
    // 19 judged drafts, all rejected: too few to trust a rate (MIN_FEEDBACK_FOR_ACCEPTANCE = 20).
    await judged(0, 19, () => false);
    expect(await hubs.fire()).toBe(0);
    await judged(19, 5, () => true);
    expect(await hubs.fire()).toBe(1);
    const runs = await database.db.select().from(retrainingRuns).where(eq(retrainingRuns.task, 'reply'));
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ trigger: 'acceptance_below', reason: { acceptance: 0.208, rated: 24, threshold: 0.5, modelId: production.id } });
    expect(await hubs.fire()).toBe(0);
  });
});
