/**
 * Switching what serves a task: promote (through the gate, or forced with a reason), rollback (to
 * the model that was production before the current one), reject (a candidate is archived). Each is
 * one transaction: the task's switch lock, row locks, the status change, the switch history, the
 * audit record, the outgoing event and the Slack notification commit or vanish together.
 */
import { and, desc, eq } from 'drizzle-orm';
import { recordAudit } from '../../audit.ts';
import type { Db, Tx } from '../../db/client.ts';
import { emitEvent } from '../../events/emit.ts';
import { abTests, models, modelSwitches, type AbTestStatus } from '../../db/schema/index.ts';
import type { Queue } from '../../queue/queue.ts';
import { gateVerdict, type GateTolerances, type GateVerdict } from './gate.ts';
import { latestEvaluation } from '../evaluation/evaluations.ts';
import { forgetServingState, lockTask, RegistryError, type AbTestRow, type ModelRow } from './registry.ts';
import { refuseErasedTraining } from './erasure-block.ts';

export interface SwitchOptions {
  actor: string;
  reason?: string;
  /** Sends the `slack.notify` job in the same transaction; none when null (tests, tools without a queue). */
  queue?: Queue | null;
}

export interface PromoteOptions extends SwitchOptions {
  force?: boolean;
  /** Gate tolerances (config); default: no tolerance. */
  tolerances?: GateTolerances;
}

export interface SwitchResult {
  model: ModelRow;
  /** The production model it replaced (promote, rollback). */
  previous: ModelRow | null;
  verdict: GateVerdict | null;
  forced: boolean;
}

const NO_TOLERANCE: GateTolerances = { GATE_TOLERANCE: 0, GATE_METRIC_TOLERANCES: undefined };

async function lockModel(tx: Tx, id: string): Promise<ModelRow> {
  const [row] = await tx.select().from(models).where(eq(models.id, id)).for('update');
  if (!row) throw new RegistryError('not_found', `no model "${id}"`);
  return row;
}

async function lockProduction(tx: Tx, task: string): Promise<ModelRow | null> {
  const [row] = await tx.select().from(models).where(and(eq(models.task, task), eq(models.status, 'production'))).for('update');
  return row ?? null;
}

async function setStatus(tx: Tx, id: string, status: 'production' | 'archived' | 'candidate'): Promise<ModelRow> {
  const now = new Date();
  const [row] = await tx
    .update(models)
    .set(status === 'production' ? { status, promotedAt: now, archivedAt: null } : status === 'archived' ? { status, archivedAt: now } : { status })
    .where(eq(models.id, id))
    .returning();
  if (!row) throw new RegistryError('not_found', `no model "${id}"`);
  return row;
}

/** Ends the task's running A/B test, if any, and returns it. */
export async function endRunningAbTest(tx: Tx, task: string, status: (test: AbTestRow) => AbTestStatus, actor: string): Promise<AbTestRow | null> {
  const [running] = await tx.select().from(abTests).where(and(eq(abTests.task, task), eq(abTests.status, 'running'))).for('update');
  if (!running) return null;
  const [ended] = await tx.update(abTests).set({ status: status(running), endedAt: new Date(), endedBy: actor }).where(eq(abTests.id, running.id)).returning();
  return ended ?? null;
}

/** A model's task without locking: a task never changes, and the task lock comes before row locks. */
async function taskOf(db: Db, id: string): Promise<string> {
  const [row] = await db.select({ task: models.task }).from(models).where(eq(models.id, id));
  if (!row) throw new RegistryError('not_found', `no model "${id}"`);
  return row.task;
}

/**
 * Makes `modelId` the task's production model. The gate decides unless `force` is set, which needs
 * a reason; the old production model is archived and a running A/B test of the task ends.
 */
export async function promote(db: Db, modelId: string, options: PromoteOptions): Promise<SwitchResult> {
  const reason = options.reason?.trim() || null;
  if (options.force && !reason) throw new RegistryError('invalid_request', 'a forced promotion needs a reason (--reason)');
  const task = await taskOf(db, modelId);
  const evaluation = await latestEvaluation(db, modelId);
  const result = await db.transaction(async (tx) => {
    await lockTask(tx, task);
    const target = await lockModel(tx, modelId);
    if (target.status === 'production') throw new RegistryError('conflict', `model ${modelId} is already in production for ${task}`);
    await refuseErasedTraining(tx, target, 'promotion');
    const current = await lockProduction(tx, task);
    const verdict = gateVerdict({ task, modelId, evaluation, productionModelId: current?.id ?? null, tolerances: options.tolerances ?? NO_TOLERANCE });
    if (!verdict.allowed && !options.force) throw new RegistryError('gate_blocked', `promotion blocked by the gate: ${verdict.reason}`, { verdict });
    const forced = !verdict.allowed;
    const previous = current ? await setStatus(tx, current.id, 'archived') : null;
    const model = await setStatus(tx, target.id, 'production');
    const abTest = await endRunningAbTest(tx, task, (test) => (test.candidateModelId === model.id ? 'promoted' : 'cancelled'), options.actor);
    await tx.insert(modelSwitches).values({ task, fromModelId: previous?.id ?? null, toModelId: model.id, kind: 'promote', actor: options.actor, reason, forced, gate: { ...verdict }, abTestId: abTest?.id ?? null });
    await recordAudit(tx, {
      actor: options.actor,
      action: forced ? 'model.promote_forced' : 'model.promote',
      subjectType: 'model',
      subjectId: model.id,
      details: { task, from: previous?.id ?? null, reason, forced, gate: verdict, abTestId: abTest?.id ?? null },
    });
    await emitEvent(tx, { type: 'model.promoted', subjectId: model.id, data: { task, previousModelId: previous?.id ?? null, actor: options.actor, forced, reason, gate: { allowed: verdict.allowed, reason: verdict.reason } } }, { queue: options.queue });
    await options.queue?.send('slack.notify', { kind: 'model.promoted', subjectId: model.id }, { tx });
    return { model, previous, verdict, forced };
  });
  forgetServingState(db, task);
  return result;
}

/** The model that was production before `currentId` was last promoted, from the switch history. */
async function previousProduction(tx: Tx, task: string, currentId: string): Promise<string | null> {
  const [last] = await tx
    .select({ from: modelSwitches.fromModelId })
    .from(modelSwitches)
    .where(and(eq(modelSwitches.task, task), eq(modelSwitches.kind, 'promote'), eq(modelSwitches.toModelId, currentId)))
    .orderBy(desc(modelSwitches.id))
    .limit(1);
  return last?.from ?? null;
}

/** Puts the previous production model back; the current one is archived. No gate: this is the way back. */
export async function rollback(db: Db, task: string, options: SwitchOptions): Promise<SwitchResult> {
  const reason = options.reason?.trim() || null;
  const result = await db.transaction(async (tx) => {
    await lockTask(tx, task);
    const current = await lockProduction(tx, task);
    if (!current) throw new RegistryError('conflict', `no production model for ${task}; nothing to roll back`);
    const previousId = await previousProduction(tx, task, current.id);
    if (!previousId) throw new RegistryError('conflict', `model ${current.id} has no earlier production model for ${task} to roll back to`);
    await refuseErasedTraining(tx, await lockModel(tx, previousId), 'rollback');
    const archived = await setStatus(tx, current.id, 'archived');
    const model = await setStatus(tx, previousId, 'production');
    const abTest = await endRunningAbTest(tx, task, () => 'cancelled', options.actor);
    await tx.insert(modelSwitches).values({ task, fromModelId: current.id, toModelId: model.id, kind: 'rollback', actor: options.actor, reason, abTestId: abTest?.id ?? null });
    await recordAudit(tx, { actor: options.actor, action: 'model.rollback', subjectType: 'model', subjectId: model.id, details: { task, from: current.id, reason, abTestId: abTest?.id ?? null } });
    await emitEvent(tx, { type: 'model.rolled_back', subjectId: model.id, data: { task, previousModelId: current.id, actor: options.actor, reason } }, { queue: options.queue });
    // Slack announces the model now serving and the one it replaced (read from the switch history).
    await options.queue?.send('slack.notify', { kind: 'model.promoted', subjectId: model.id }, { tx });
    return { model, previous: archived, verdict: null, forced: false };
  });
  forgetServingState(db, task);
  return result;
}

/** Archives a candidate; if it is in a running A/B test, the test ends as rejected. */
export async function reject(db: Db, modelId: string, options: SwitchOptions): Promise<SwitchResult> {
  const reason = options.reason?.trim() || null;
  const task = await taskOf(db, modelId);
  const result = await db.transaction(async (tx) => {
    await lockTask(tx, task);
    const target = await lockModel(tx, modelId);
    if (target.status !== 'candidate') throw new RegistryError('conflict', `model ${modelId} is ${target.status}; only a candidate can be rejected`);
    const model = await setStatus(tx, target.id, 'archived');
    const [running] = await tx.select().from(abTests).where(and(eq(abTests.task, task), eq(abTests.status, 'running'), eq(abTests.candidateModelId, model.id)));
    const abTest = running ? await endRunningAbTest(tx, task, () => 'rejected', options.actor) : null;
    await tx.insert(modelSwitches).values({ task, fromModelId: model.id, toModelId: null, kind: abTest ? 'ab_end' : 'reject', actor: options.actor, reason, abTestId: abTest?.id ?? null });
    await recordAudit(tx, { actor: options.actor, action: 'model.reject', subjectType: 'model', subjectId: model.id, details: { task, reason, abTestId: abTest?.id ?? null } });
    return { model, previous: null, verdict: null, forced: false };
  });
  forgetServingState(db, task);
  return result;
}
