/**
 * A/B tests: a candidate serves `share` of a task's tickets (stable per ticket, see modelForTicket)
 * beside production; the agents' feedback on the drafts of each arm (acceptance, similarity of the
 * final reply) decides, and the test ends by promoting or rejecting the candidate.
 */
import { refuseErasedTraining } from '../registry/erasure-block.ts';
import { and, eq, sql } from 'drizzle-orm';
import { recordAudit } from '../../audit.ts';
import type { Db, Tx } from '../../db/client.ts';
import { abTests, drafts, models, modelSwitches } from '../../db/schema/index.ts';
import { promote, reject, type PromoteOptions, type SwitchResult } from '../registry/promotion.ts';
import { newcombeDifference, wilsonInterval, type Interval } from '../proportions.ts';
import { forgetServingState, lockTask, RegistryError, type AbTestRow, type Arm } from '../registry/registry.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function getAbTest(db: Tx, id: string): Promise<AbTestRow | null> {
  if (!UUID.test(id)) return null;
  const [row] = await db.select().from(abTests).where(eq(abTests.id, id));
  return row ?? null;
}

/** Starts serving candidate `modelId` to `share` (0 < share ≤ 1) of its task's tickets. */
export async function startAbTest(db: Db, modelId: string, options: { share: number; actor: string }): Promise<AbTestRow> {
  if (!(options.share > 0 && options.share <= 1)) throw new RegistryError('invalid_request', 'share must be greater than 0 and at most 1');
  const [found] = await db.select({ task: models.task }).from(models).where(eq(models.id, modelId));
  if (!found) throw new RegistryError('not_found', `no model "${modelId}"`);
  const task = found.task;
  const test = await db.transaction(async (tx) => {
    await lockTask(tx, task);
    const [candidate] = await tx.select().from(models).where(eq(models.id, modelId)).for('update');
    if (candidate?.status !== 'candidate') throw new RegistryError('conflict', `model ${modelId} is ${candidate?.status ?? 'gone'}; only a candidate can be A/B tested`);
    await refuseErasedTraining(tx, candidate, 'A/B test');
    const [production] = await tx.select().from(models).where(and(eq(models.task, task), eq(models.status, 'production')));
    if (!production) throw new RegistryError('conflict', `no production model for ${task} to test against; promote one first`);
    const [running] = await tx.select({ id: abTests.id }).from(abTests).where(and(eq(abTests.task, task), eq(abTests.status, 'running')));
    if (running) throw new RegistryError('conflict', `A/B test ${running.id} is already running for ${task}; end it first`);
    const [created] = await tx.insert(abTests).values({ task, candidateModelId: modelId, productionModelId: production.id, share: options.share, actor: options.actor }).returning();
    if (!created) throw new Error('insert returned no row');
    await tx.insert(modelSwitches).values({ task, fromModelId: production.id, toModelId: modelId, kind: 'ab_start', actor: options.actor, reason: `share ${options.share}`, abTestId: created.id });
    await recordAudit(tx, { actor: options.actor, action: 'ab_test.start', subjectType: 'ab_test', subjectId: created.id, details: { task, candidate: modelId, production: production.id, share: options.share } });
    return created;
  });
  forgetServingState(db, task);
  return test;
}

/** Ends a running test: promote (through the gate, like any promotion) or reject its candidate. */
export async function endAbTest(db: Db, id: string, outcome: 'promote' | 'reject', options: PromoteOptions): Promise<{ test: AbTestRow; result: SwitchResult }> {
  const test = await getAbTest(db, id);
  if (!test) throw new RegistryError('not_found', `no A/B test "${id}"`);
  if (test.status !== 'running') throw new RegistryError('conflict', `A/B test ${id} is already ${test.status}`);
  const result = outcome === 'promote' ? await promote(db, test.candidateModelId, options) : await reject(db, test.candidateModelId, options);
  const ended = await getAbTest(db, id);
  if (!ended) throw new RegistryError('not_found', `no A/B test "${id}"`);
  return { test: ended, result };
}

export interface ArmStats {
  arm: Arm;
  modelId: string;
  /** Drafts posted to agents. */
  drafts: number;
  /** Drafts whose ticket got the agent's final reply (feedback). */
  withFeedback: number;
  accepted: number;
  acceptanceRate: number | null;
  acceptanceInterval: Interval | null;
  meanSimilarity: number | null;
}

export interface AbTestStats {
  arms: { production: ArmStats; candidate: ArmStats };
  /** Candidate minus production acceptance rate, with Newcombe's 95 % interval. */
  difference: (Interval & { difference: number }) | null;
}

export function armStats(arm: Arm, modelId: string, counts: { drafts: number; withFeedback: number; accepted: number; meanSimilarity: number | null }): ArmStats {
  return {
    arm,
    modelId,
    ...counts,
    acceptanceRate: counts.withFeedback ? counts.accepted / counts.withFeedback : null,
    acceptanceInterval: wilsonInterval(counts.accepted, counts.withFeedback),
  };
}

export async function abTestStats(db: Tx, test: AbTestRow): Promise<AbTestStats> {
  const rows = await db
    .select({
      arm: drafts.arm,
      drafts: sql<number>`count(*)::int`,
      withFeedback: sql<number>`count(${drafts.accepted})::int`,
      accepted: sql<number>`(count(*) FILTER (WHERE ${drafts.accepted}))::int`,
      meanSimilarity: sql<number | null>`avg(${drafts.similarity})::float8`,
    })
    .from(drafts)
    .where(and(eq(drafts.abTestId, test.id), eq(drafts.status, 'posted')))
    .groupBy(drafts.arm);
  const counts = (arm: Arm) => {
    const row = rows.find((r) => r.arm === arm);
    return { drafts: row?.drafts ?? 0, withFeedback: row?.withFeedback ?? 0, accepted: row?.accepted ?? 0, meanSimilarity: row?.meanSimilarity ?? null };
  };
  const production = armStats('production', test.productionModelId, counts('production'));
  const candidate = armStats('candidate', test.candidateModelId, counts('candidate'));
  return { arms: { production, candidate }, difference: newcombeDifference(candidate.accepted, candidate.withFeedback, production.accepted, production.withFeedback) };
}
