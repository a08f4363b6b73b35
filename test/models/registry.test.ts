import { and, asc, eq, sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { connectDatabase, type Database } from '../../src/db/client.ts';
import { abTests, auditEvents, connections, drafts, eventDeliveries, eventSubscriptions, models, modelSwitches } from '../../src/db/schema/index.ts';
import { abTestStats, endAbTest, startAbTest } from '../../src/models/ab/ab-test.ts';
import { refreshAbMetrics } from '../../src/models/ab/metrics.ts';
import { registry } from '../../src/metrics.ts';
import { newcombeDifference } from '../../src/models/proportions.ts';
import { promote, reject, rollback } from '../../src/models/registry/promotion.ts';
import { modelForTicket, productionModel, RegistryError, SERVING_CACHE_MS } from '../../src/models/registry/registry.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { insertEvaluation, insertModel, productionCount } from './support.ts';

/** Registry against a real database: gate, forced promotion, switching, rollback, races, A/B tests. */
describe('model registry', () => {
  let database: TestDatabase;
  const others: Database[] = [];
  /** Another process's handle: its own pool and its own serving cache. */
  const otherProcess = () => {
    const opened = connectDatabase(database.url, { max: 2 });
    others.push(opened);
    return opened.db;
  };

  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterEach(() => {
    vi.useRealTimers();
  });
  afterAll(async () => {
    for (const other of others) await other.close();
    await database.drop();
  });

  const refusal = async (promise: Promise<unknown>) => {
    const error = await promise.then(
      () => null,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(RegistryError);
    return error as RegistryError;
  };

  it('gate: promotes a candidate better than the base, blocks a worse one with the verdict, forces only with a reason and audits it', async () => {
    const { db } = database;
    const good = await insertModel(db, 'reply');
    await insertEvaluation(db, good.id, { candidate: { chrf: 42, eval_loss: 1.5 }, baseline: { chrf: 30, eval_loss: 2.5 } });
    const first = await promote(db, good.id, { actor: 'test' });
    expect(first).toMatchObject({ forced: false, previous: null, model: { id: good.id, status: 'production' }, verdict: { allowed: true } });

    const bad = await insertModel(db, 'reply');
    await insertEvaluation(db, bad.id, { candidate: { chrf: 8, eval_loss: 4.2 }, baseline: { chrf: 42, eval_loss: 1.5 }, baselineId: good.id });
    const blocked = await refusal(promote(db, bad.id, { actor: 'test' }));
    expect(blocked.code).toBe('gate_blocked');
    expect(blocked.details?.verdict).toMatchObject({
      allowed: false,
      metrics: [
        { metric: 'chrf', candidate: 8, baseline: 42, pass: false },
        { metric: 'eval_loss', candidate: 4.2, baseline: 1.5, pass: false },
      ],
    });
    expect((await refusal(promote(db, bad.id, { actor: 'test', force: true }))).code).toBe('invalid_request');
    expect((await refusal(promote(db, bad.id, { actor: 'test', force: true, reason: '  ' }))).code).toBe('invalid_request');
    expect((await productionModel(db, 'reply'))?.id).toBe(good.id);

    const forced = await promote(db, bad.id, { actor: 'token:lead', force: true, reason: 'hotfix for the new product line' });
    expect(forced).toMatchObject({ forced: true, previous: { id: good.id, status: 'archived' }, model: { id: bad.id, status: 'production' } });
    const [audit] = await db.select().from(auditEvents).where(and(eq(auditEvents.subjectId, bad.id), eq(auditEvents.action, 'model.promote_forced')));
    expect(audit).toMatchObject({ actor: 'token:lead', subjectType: 'model', details: { task: 'reply', from: good.id, forced: true, reason: 'hotfix for the new product line', gate: { allowed: false } } });
    const [change] = await db.select().from(modelSwitches).where(eq(modelSwitches.toModelId, bad.id));
    expect(change).toMatchObject({ kind: 'promote', fromModelId: good.id, forced: true, reason: 'hotfix for the new product line' });
    expect((await refusal(promote(db, bad.id, { actor: 'test' }))).code).toBe('conflict');
  });

  it('refuses without an evaluation, or while it is still running', async () => {
    const { db } = database;
    const model = await insertModel(db, 'triage');
    expect((await refusal(promote(db, model.id, { actor: 'test' }))).message).toMatch(/has no evaluation/);
    await insertEvaluation(db, model.id, { task: 'triage', candidate: {}, baseline: null, status: 'running' });
    expect((await refusal(promote(db, model.id, { actor: 'test' }))).message).toMatch(/latest evaluation .* is running/);
    expect((await refusal(promote(db, '00000000-0000-4000-8000-00000000dead', { actor: 'test' }))).code).toBe('not_found');
  });

  it('a promotion is seen at once here, by a new process at once, and by a warm process within the cache time; rollback switches back', async () => {
    const { db } = database;
    const a = await insertModel(db, 'compliance');
    await insertEvaluation(db, a.id, { task: 'compliance', candidate: { recall: 0.8, precision: 0.7 }, baseline: { recall: 0.5, precision: 0.5 } });
    await promote(db, a.id, { actor: 'test' });
    const warm = otherProcess();
    expect((await productionModel(warm, 'compliance'))?.id).toBe(a.id);

    const b = await insertModel(db, 'compliance');
    await insertEvaluation(db, b.id, { task: 'compliance', candidate: { recall: 0.9, precision: 0.7 }, baseline: { recall: 0.8, precision: 0.7 }, baselineId: a.id });
    vi.useFakeTimers({ toFake: ['Date'] });
    await promote(db, b.id, { actor: 'test' });
    expect((await productionModel(db, 'compliance'))?.id).toBe(b.id);
    expect((await productionModel(otherProcess(), 'compliance'))?.id).toBe(b.id);
    // The warm process trusts its read for at most SERVING_CACHE_MS, then reads again: no restart.
    vi.setSystemTime(Date.now() + SERVING_CACHE_MS + 1);
    expect((await productionModel(warm, 'compliance'))?.id).toBe(b.id);

    const [subscription] = await db.insert(eventSubscriptions).values({ url: 'https://hooks.example.test/x', eventTypes: ['model.promoted', 'model.rolled_back'], secretEncrypted: 'sealed', createdBy: 'test' }).returning();
    const back = await rollback(db, 'compliance', { actor: 'test', reason: 'complaints' });
    expect(back).toMatchObject({ model: { id: a.id, status: 'production' }, previous: { id: b.id, status: 'archived' } });
    expect((await productionModel(db, 'compliance'))?.id).toBe(a.id);
    vi.setSystemTime(Date.now() + SERVING_CACHE_MS + 1);
    expect((await productionModel(warm, 'compliance'))?.id).toBe(a.id);
    const [audit] = await db.select().from(auditEvents).where(and(eq(auditEvents.action, 'model.rollback'), eq(auditEvents.subjectId, a.id)));
    expect(audit?.details).toMatchObject({ from: b.id, reason: 'complaints' });
    // The outgoing event was written in the rollback's transaction.
    const events = await db.select().from(eventDeliveries).where(eq(eventDeliveries.subscriptionId, subscription!.id));
    expect(events.map((e) => [e.eventType, (e.payload as { data: Record<string, unknown> }).data])).toEqual([['model.rolled_back', expect.objectContaining({ subjectId: a.id, previousModelId: b.id, task: 'compliance', reason: 'complaints' })]]);
    // a was the first production model of the task: nothing before it.
    expect((await refusal(rollback(db, 'compliance', { actor: 'test' }))).message).toMatch(/no earlier production model/);
    expect((await refusal(rollback(db, 'preference', { actor: 'test' }))).message).toMatch(/no production model/);
  });

  it('rollback walks back through successive promotions', async () => {
    const { db } = database;
    const chain = [];
    for (let i = 0; i < 3; i++) {
      const model = await insertModel(db, 'preference');
      await insertEvaluation(db, model.id, { task: 'preference', candidate: { chrf: 10 + i }, baseline: { chrf: 9 + i }, baselineId: chain.at(-1)?.id ?? null });
      await promote(db, model.id, { actor: 'test' });
      chain.push(model);
    }
    expect((await rollback(db, 'preference', { actor: 'test' })).model.id).toBe(chain[1]?.id);
    expect((await rollback(db, 'preference', { actor: 'test' })).model.id).toBe(chain[0]?.id);
    expect(await productionCount(db, 'preference')).toBe(1);
  });

  it('two concurrent promotions leave exactly one production model', async () => {
    const { db } = database;
    const base = await insertModel(db, 'race', 'production');
    const contenders = [await insertModel(db, 'race'), await insertModel(db, 'race')];
    for (const model of contenders) await insertEvaluation(db, model.id, { task: 'triage', candidate: { macro_f1: 0.9 }, baseline: { macro_f1: 0.8 }, baselineId: base.id });
    // Unknown task "race" has no primary metrics: force both, so both go through the whole switch.
    const results = await Promise.allSettled(contenders.map((model) => promote(db, model.id, { actor: 'test', force: true, reason: 'race' })));
    expect(results.every((r) => r.status === 'fulfilled')).toBe(true);
    expect(await productionCount(db, 'race')).toBe(1);
    const switches = await db.select().from(modelSwitches).where(eq(modelSwitches.task, 'race')).orderBy(asc(modelSwitches.id));
    // Serialised: the second replaced the first, which replaced the base.
    expect(switches.map((s) => s.fromModelId)).toEqual([base.id, switches[0]?.toModelId]);

    // Through the gate, the loser is blocked: its evaluation compared with a production model that is gone.
    const gated = [await insertModel(db, 'triage', 'production'), await insertModel(db, 'triage'), await insertModel(db, 'triage')];
    for (const model of gated.slice(1)) await insertEvaluation(db, model.id, { task: 'triage', candidate: { macro_f1: 0.9 }, baseline: { macro_f1: 0.8 }, baselineId: gated[0]?.id });
    const settled = await Promise.allSettled(gated.slice(1).map((model) => promote(db, model.id, { actor: 'test' })));
    expect(settled.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const loser = settled.find((r) => r.status === 'rejected');
    expect(loser?.status === 'rejected' && (loser.reason as RegistryError).message).toMatch(/production is now .*; evaluate again/);
    expect(await productionCount(db, 'triage')).toBe(1);
    // The database refuses a second production model whatever the code does.
    await expect(db.update(models).set({ status: 'production' }).where(eq(models.id, base.id))).rejects.toThrow();
  });

  it('A/B: stable arm per ticket, share respected over 10,000 tickets, stats per arm, ends by promoting', async () => {
    const { db } = database;
    const current = await productionModel(db, 'reply');
    const candidate = await insertModel(db, 'reply');
    const test = await startAbTest(db, candidate.id, { share: 0.1, actor: 'test' });
    const another = await insertModel(db, 'reply');
    expect((await refusal(startAbTest(db, another.id, { share: 0.2, actor: 'test' }))).message).toMatch(/already running/);
    expect((await refusal(startAbTest(db, current!.id, { share: 0.2, actor: 'test' }))).message).toMatch(/only a candidate/);
    expect((await refusal(startAbTest(db, another.id, { share: 1.5, actor: 'test' }))).code).toBe('invalid_request');

    const arms = new Map<string, string>();
    let candidates = 0;
    for (let i = 0; i < 10_000; i++) {
      const served = await modelForTicket(db, 'reply', `zendesk:${i}`);
      expect(served?.abTestId).toBe(test.id);
      arms.set(`zendesk:${i}`, served?.arm ?? '');
      if (served?.arm === 'candidate') {
        candidates++;
        expect(served.model.id).toBe(candidate.id);
      } else expect(served?.model.id).toBe(current?.id);
    }
    expect(Math.abs(candidates / 10_000 - 0.1)).toBeLessThanOrEqual(0.02);
    // Same ticket, same arm: again, and from another process.
    const other = otherProcess();
    for (const key of ['zendesk:1', 'zendesk:2', 'zendesk:77', 'zendesk:9999']) {
      expect((await modelForTicket(db, 'reply', key))?.arm).toBe(arms.get(key));
      expect((await modelForTicket(other, 'reply', key))?.arm).toBe(arms.get(key));
    }

    // Feedback rows as the draft write-back stores them: candidate 9/10 accepted, production 3/10.
    const [connection] = await db.insert(connections).values({ vendor: 'zendesk', name: 'ab', settings: {}, credentialsEncrypted: 'x' }).returning();
    const rows = [];
    for (let i = 0; i < 20; i++) {
      const arm = i < 10 ? 'candidate' : 'production';
      const accepted = arm === 'candidate' ? i < 9 : i < 13;
      rows.push({ connectionId: connection!.id, source: 'zendesk', sourceId: String(i), task: 'reply' as const, arm: arm as 'candidate' | 'production', abTestId: test.id, modelId: arm === 'candidate' ? candidate.id : current!.id, status: 'posted' as const, similarity: accepted ? 0.9 : 0.4, accepted, feedbackAt: new Date() });
    }
    rows.push({ connectionId: connection!.id, source: 'zendesk', sourceId: 'waiting', task: 'reply' as const, arm: 'candidate' as const, abTestId: test.id, modelId: candidate.id, status: 'posted' as const, similarity: null, accepted: null, feedbackAt: null });
    rows.push({ connectionId: connection!.id, source: 'zendesk', sourceId: 'down', task: 'reply' as const, arm: 'candidate' as const, abTestId: test.id, modelId: candidate.id, status: 'failed' as const, similarity: null, accepted: null, feedbackAt: null });
    await db.insert(drafts).values(rows);
    const stats = await abTestStats(db, test);
    expect(stats.arms.candidate).toMatchObject({ drafts: 11, withFeedback: 10, accepted: 9, acceptanceRate: 0.9 });
    expect(stats.arms.candidate.meanSimilarity).toBeCloseTo(0.85, 5);
    expect(stats.arms.production).toMatchObject({ drafts: 10, withFeedback: 10, accepted: 3, acceptanceRate: 0.3 });
    expect(stats.difference).toEqual(newcombeDifference(9, 10, 3, 10));
    expect(stats.difference?.lower).toBeCloseTo(0.1705, 4);
    // The same numbers on /metrics, per arm of the running test.
    await refreshAbMetrics(db);
    const scraped = await registry.metrics();
    expect(scraped).toContain(`tuneloop_ab_acceptance_ratio{ab_test="${test.id}",task="reply",arm="candidate",model="${candidate.id}"} 0.9`);
    expect(scraped).toContain(`tuneloop_ab_acceptance_ratio{ab_test="${test.id}",task="reply",arm="production",model="${current!.id}"} 0.3`);
    expect(scraped).toContain(`tuneloop_ab_drafts{ab_test="${test.id}",task="reply",arm="candidate",model="${candidate.id}"} 11`);

    await insertEvaluation(db, candidate.id, { candidate: { chrf: 50 }, baseline: { chrf: 40 }, baselineId: current!.id });
    const ended = await endAbTest(db, test.id, 'promote', { actor: 'test' });
    expect(ended.test).toMatchObject({ status: 'promoted', endedBy: 'test' });
    expect((await productionModel(db, 'reply'))?.id).toBe(candidate.id);
    expect((await modelForTicket(db, 'reply', 'zendesk:1'))).toMatchObject({ arm: 'production', abTestId: null, model: { id: candidate.id } });
    expect((await refusal(endAbTest(db, test.id, 'reject', { actor: 'test' }))).message).toMatch(/already promoted/);
  });

  it('A/B: ending by rejecting archives the candidate; a rollback cancels a running test', async () => {
    const { db } = database;
    const production = (await productionModel(db, 'reply'))!;
    const loser = await insertModel(db, 'reply');
    const test = await startAbTest(db, loser.id, { share: 0.5, actor: 'test' });
    const ended = await endAbTest(db, test.id, 'reject', { actor: 'test', reason: 'agents edit its drafts more' });
    expect(ended.test.status).toBe('rejected');
    expect(ended.result.model).toMatchObject({ id: loser.id, status: 'archived' });
    expect((await modelForTicket(db, 'reply', 'x'))?.model.id).toBe(production.id);
    expect((await refusal(reject(db, loser.id, { actor: 'test' }))).code).toBe('conflict');

    const next = await insertModel(db, 'reply');
    const running = await startAbTest(db, next.id, { share: 0.3, actor: 'test' });
    await rollback(db, 'reply', { actor: 'test' });
    const [after] = await db.select().from(abTests).where(eq(abTests.id, running.id));
    expect(after?.status).toBe('cancelled');
    expect((await modelForTicket(db, 'reply', 'x'))?.abTestId).toBeNull();
    const kinds = await db.execute<{ kind: string }>(sql`SELECT kind FROM model_switches WHERE ab_test_id IS NOT NULL ORDER BY id`);
    expect(kinds.rows.map((r) => r.kind)).toEqual(['ab_start', 'promote', 'ab_start', 'ab_end', 'ab_start', 'rollback']);
  });
});
