/**
 * A retraining a person asks for (Slack `retrain`, the API): harvest the dataset's connections,
 * build a fresh version, then train, one `retrain.run` job driving the first two steps and the
 * existing run machinery (runs.ts) the rest. With a dataset version given, it trains on that at
 * once. Every step is stored on the run before the next begins, so a restarted job picks up where
 * the last one stopped, and each change is announced (`slack.notify` retrain.status; the Slack
 * command posts the message itself first, so it can tell the person when it cannot post there).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { and, desc, eq, inArray, sql } from 'drizzle-orm';
import { recordAudit } from '../../audit.ts';
import type { Db } from '../../db/client.ts';
import { connections, datasets, harvestRuns, retrainingRuns } from '../../db/schema/index.ts';
import { parseDatasetConfig } from '../../datasets/config.ts';
import { createVersion, getVersion, resolveVersionRef } from '../../datasets/versions.ts';
import type { HubDeps } from '../../deps.ts';
import { createRun, isTerminal } from '../../harvest/runs.ts';
import type { JobHandler, Queue } from '../../queue/queue.ts';
import { productionModel } from '../registry/registry.ts';
import { getPolicy, TrainingRequest, type RetrainingRun } from './policies.ts';
import { advanceRuns } from './runs.ts';
import { planTrials, Sweep, SweepError } from '../../training/sweep/plan.ts';

export class RetrainInputError extends Error {
  override name = 'RetrainInputError';
}

export interface ManualRetrain {
  task: string;
  /** A ready dataset version (id, name@N, name@latest): train on it, no harvest or build. */
  datasetVersion?: string;
  /** Overrides of the fine-tuning request: base model, method and hyperparameters. */
  training?: Record<string, unknown>;
  /** The method's type (dpo, lora, …), keeping the request's hyperparameters. */
  method?: string;
  /** A hyperparameter sweep (src/training/sweep/plan.ts) over the request's hyperparameters. */
  sweep?: Record<string, unknown>;
  requestedBy: string;
  /** Where the run's live Slack message goes. */
  slackChannel?: string;
}

/** How often a running step is looked at; also the pace of harvest progress in the message. */
const POLL_MS = 1_000;

async function datasetFor(db: Db, task: string): Promise<{ id: string; name: string; config: unknown } | null> {
  const policy = await getPolicy(db, task);
  const where = policy ? eq(datasets.id, policy.datasetId) : sql`${datasets.task} = ${task}`;
  const [row] = await db.select({ id: datasets.id, name: datasets.name, config: datasets.config }).from(datasets).where(where).orderBy(desc(datasets.createdAt)).limit(1);
  return row ?? null;
}

/** The fine-tuning request: the policy's, else the production model's base, with the person's overrides. */
const objectOr = (value: unknown): Record<string, unknown> => (typeof value === 'object' && value !== null ? Object.fromEntries(Object.entries(value)) : {});

async function trainingFor(db: Db, task: string, overrides: Record<string, unknown> | undefined, method?: string, sweep?: Record<string, unknown>): Promise<Record<string, unknown>> {
  const policy = await getPolicy(db, task);
  const production = await productionModel(db, task);
  const base: Record<string, unknown> = policy ? { ...policy.training } : production ? { model: production.baseModel } : {};
  const merged = { ...base, ...overrides };
  if (method) merged.method = { ...objectOr(merged.method), type: method };
  if (sweep) {
    // The sweep goes where the request's hyperparameters are: method.hyperparameters, else the top-level (legacy) field.
    const current = objectOr(merged.method);
    if (current.type === undefined && merged.hyperparameters !== undefined) merged.hyperparameters = { ...objectOr(merged.hyperparameters), sweep };
    else if (current.type === undefined) merged.hyperparameters = { sweep };
    else merged.method = { ...current, hyperparameters: { ...objectOr(current.hyperparameters), sweep } };
    const parsed = Sweep.safeParse(sweep);
    if (!parsed.success) throw new RetrainInputError(`sweep: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`);
    try {
      planTrials(parsed.data, 0);
    } catch (error) {
      if (error instanceof SweepError) throw new RetrainInputError(error.message);
      throw error;
    }
  }
  const parsed = TrainingRequest.safeParse(merged);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const missingModel = issue?.path[0] === 'model' && merged.model === undefined;
    throw new RetrainInputError(missingModel ? `no base model to train for ${task}: give one (the retrain modal, or --base <model>)` : `${issue?.path.join('.') || 'training'}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data as Record<string, unknown>;
}

/** Creates the run (and its first job) in one transaction; the caller announces it. */
export async function startManualRetrain(db: Db, queue: Queue, input: ManualRetrain): Promise<RetrainingRun> {
  if (input.datasetVersion) {
    const found = await resolveVersionRef(db, input.datasetVersion);
    if (!found) throw new RetrainInputError(`no dataset version "${input.datasetVersion}" (give its id, name@N or name@latest)`);
    if (found.dataset.task !== input.task) throw new RetrainInputError(`${found.dataset.name} is a ${found.dataset.task} dataset, not ${input.task}`);
    if (found.version.status !== 'ready') throw new RetrainInputError(`dataset version ${found.dataset.name}@${found.version.version} is ${found.version.status}, not ready`);
  }
  const dataset = input.datasetVersion ? null : await datasetFor(db, input.task);
  if (!input.datasetVersion && !dataset) throw new RetrainInputError(`there is no ${input.task} dataset to rebuild: create one first (tuneloop dataset create --task ${input.task})`);
  const training = await trainingFor(db, input.task, input.training, input.method, input.sweep);
  return db.transaction(async (tx) => {
    const [active] = await tx.select({ id: retrainingRuns.id }).from(retrainingRuns).where(and(eq(retrainingRuns.task, input.task), inArray(retrainingRuns.status, ['harvesting', 'building', 'training']))).limit(1);
    if (active) throw new RetrainInputError(`a retraining of ${input.task} is already running (${active.id})`);
    const version = input.datasetVersion ? (await resolveVersionRef(tx, input.datasetVersion))?.version : null;
    const [run] = await tx
      .insert(retrainingRuns)
      .values({
        task: input.task,
        trigger: 'manual',
        reason: { requestedBy: input.requestedBy, ...(input.slackChannel ? { slackChannel: input.slackChannel } : {}) },
        status: version ? 'building' : 'harvesting',
        datasetVersionId: version?.id ?? null,
        datasetId: dataset?.id ?? version?.datasetId ?? null,
        training,
        requestedBy: input.requestedBy,
      })
      .returning();
    if (!run) throw new Error('retraining run insert returned nothing');
    await recordAudit(tx, { actor: input.requestedBy, action: 'retraining.requested', subjectType: 'retraining_run', subjectId: run.id, details: { task: input.task, datasetVersion: input.datasetVersion ?? null, training } });
    if (version) await queue.send('retrain.evaluate', { advanceOnly: true }, { tx });
    else await queue.send('retrain.run', { retrainingRunId: run.id }, { tx });
    return run;
  });
}

async function announce(deps: HubDeps, run: RetrainingRun): Promise<void> {
  const channel = typeof run.reason.slackChannel === 'string' ? run.reason.slackChannel : undefined;
  if (channel) await deps.queue.send('slack.notify', { kind: 'retrain.status', subjectId: run.id, channel }, { singletonKey: `retrain.status:${run.id}`, singletonSeconds: 1 });
}

async function reload(db: Db, id: string): Promise<RetrainingRun | null> {
  const [row] = await db.select().from(retrainingRuns).where(eq(retrainingRuns.id, id));
  return row ?? null;
}

async function fail(db: Db, id: string, error: string): Promise<void> {
  await db.update(retrainingRuns).set({ status: 'failed', error, updatedAt: new Date() }).where(eq(retrainingRuns.id, id));
}

/** harvesting → building: every connection of the dataset harvested (a failed harvest is noted, not fatal). */
async function harvest(deps: HubDeps, run: RetrainingRun, signal: AbortSignal): Promise<RetrainingRun | null> {
  const { db } = deps.database;
  let ids = run.harvestRunIds;
  if (!ids.length) {
    const [dataset] = run.datasetId ? await db.select({ config: datasets.config }).from(datasets).where(eq(datasets.id, run.datasetId)) : [];
    if (!dataset) {
      await fail(db, run.id, 'the dataset was deleted');
      return reload(db, run.id);
    }
    const configured = parseDatasetConfig(dataset.config).connections;
    const targets = configured.length ? configured : (await db.select({ id: connections.id }).from(connections)).map((row) => row.id);
    ids = [];
    for (const connectionId of targets) ids.push((await createRun(db, connectionId, 'manual', deps.queue)).run.id);
    await db.update(retrainingRuns).set({ harvestRunIds: ids, updatedAt: new Date() }).where(eq(retrainingRuns.id, run.id));
  }
  let seen = '';
  for (;;) {
    signal.throwIfAborted();
    const rows = ids.length ? await db.select().from(harvestRuns).where(inArray(harvestRuns.id, ids)) : [];
    const progress = rows.map((row) => `${row.id}:${row.status}:${row.conversationsSeen}`).join(',');
    if (progress !== seen) {
      seen = progress;
      await announce(deps, run);
    }
    // A run deleted with its connection counts as done.
    if (rows.every((row) => isTerminal(row.status))) break;
    await sleep(POLL_MS, undefined, { signal });
  }
  await db.transaction(async (tx) => {
    const [locked] = await tx.select().from(retrainingRuns).where(eq(retrainingRuns.id, run.id)).for('update');
    if (locked?.status !== 'harvesting' || !locked.datasetId) return;
    const version = await createVersion(tx, locked.datasetId, 'build', { queue: deps.queue });
    await tx.update(retrainingRuns).set({ status: 'building', datasetVersionId: version.id, updatedAt: new Date() }).where(eq(retrainingRuns.id, run.id));
  });
  return reload(db, run.id);
}

/** building → training: waits for the version, then the run machinery creates the fine-tuning job. */
async function build(deps: HubDeps, run: RetrainingRun, signal: AbortSignal): Promise<void> {
  const { db } = deps.database;
  await announce(deps, run);
  for (;;) {
    signal.throwIfAborted();
    const version = run.datasetVersionId ? await getVersion(db, run.datasetVersionId) : null;
    if (!version || version.status !== 'queued' && version.status !== 'building') break;
    await sleep(POLL_MS, undefined, { signal });
  }
  await advanceRuns({ db, queue: deps.queue, config: deps.config, log: deps.log });
  const after = await reload(db, run.id);
  if (after) await announce(deps, after);
}

export function retrainRunHandler(deps: HubDeps): JobHandler<'retrain.run'> {
  return async (payload, job) => {
    let run = await reload(deps.database.db, payload.retrainingRunId);
    if (run?.status === 'harvesting') run = await harvest(deps, run, job.signal);
    if (run?.status === 'building') await build(deps, run, job.signal);
  };
}
