/**
 * Fine-tuning jobs: create (validated like OpenAI's API, then queued as `finetune.train` in the same
 * transaction), read, list with OpenAI's `after`/`limit` pagination, and cancel.
 */
import { randomInt } from 'node:crypto';
import { and, desc, eq, lt, or, sql } from 'drizzle-orm';
import { z } from 'zod';
import { recordAudit } from '../audit.ts';
import { BaseModelError, checkBaseModel } from './base-models/registry.ts';
import type { Tx } from '../db/client.ts';
import { fineTuningJobs, type TrainingBackend } from '../db/schema/index.ts';
import type { Queue } from '../queue/queue.ts';
import { datasetVersionData, DataSourceError, filesData, type TrainingData } from './data-sources.ts';
import { recordEvent } from './events.ts';
import { formatFor, Hyperparameters, HyperparameterError, MethodInput, resolveMethod } from './hyperparameters.ts';
import { ACTIVE, notifyStatus, transition, type FineTuningJob } from './status.ts';
import { planTrials, SweepError, trialHyperparameters, type TrialParams } from './sweep/plan.ts';
import { RunConfigFields } from './worker/contract/run-config.ts';
import { CLASSIFIER_BASE_MODEL, classifierTask } from './classifier/model.ts';

export type { FineTuningJob } from './status.ts';

const Metadata = z
  .record(z.string().min(1).max(64), z.string().max(512))
  .refine((value) => Object.keys(value).length <= 16, { message: 'at most 16 key-value pairs' });

/** The request body of POST /fine_tuning/jobs (OpenAI's CreateFineTuningJobRequest plus our fields). */
export const NewFineTuningJob = z
  .object({
    model: z.string().trim().min(1).max(500),
    training_file: z.string().min(1).max(200).optional(),
    validation_file: z.string().min(1).max(200).nullable().optional(),
    /** tuneloop: train on a frozen dataset version (id, name@N or name@latest) instead of uploaded files. */
    dataset_version: z.string().min(1).max(200).optional(),
    method: MethodInput.optional(),
    /** Deprecated by OpenAI in favour of method; still accepted. */
    hyperparameters: Hyperparameters.optional(),
    suffix: z
      .string()
      .min(1)
      .max(64)
      .regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, ".", "_" and "-" only')
      .nullable()
      .optional(),
    seed: z.number().int().min(0).max(2_147_483_647).nullable().optional(),
    metadata: Metadata.nullable().optional(),
    /** tuneloop: `local` (gpu-worker, the default) or `openai` (managed fine-tuning). */
    backend: z.enum(['local', 'openai']).optional(),
    /** tuneloop: what the model is for; defaults to the dataset's task (reply for preference data), else `reply`. */
    task: z
      .string()
      .regex(/^[a-z][a-z_]{0,39}$/)
      .optional(),
  })
  .strict();
export type NewFineTuningJob = z.infer<typeof NewFineTuningJob>;

/** A request that cannot become a job; `param` names the field, as in OpenAI's errors. */
export class JobInputError extends Error {
  override name = 'JobInputError';
  constructor(
    message: string,
    readonly param: string | null,
  ) {
    super(message);
  }
}

export interface CreateOptions {
  queue: Queue;
  actor: string;
  /** Backends that can run here (openai needs an API key). */
  backends: TrainingBackend[];
  /**
   * TRAINING_BASE_MODELS: the base models the local backend may load (a name or path the worker
   * opens with from_pretrained, so anything a caller names would otherwise be fetched and run).
   */
  baseModels?: string[] | undefined;
  /** TUNELOOP_HOME: where registered base models live (training/base-models/registry.ts); unset, names are not checked. */
  home?: string | undefined;
}

async function resolveData(db: Tx, input: NewFineTuningJob): Promise<TrainingData & { versionId?: string }> {
  const sources = [input.training_file, input.dataset_version].filter(Boolean).length;
  if (sources !== 1) throw new JobInputError('give exactly one of training_file or dataset_version', input.training_file ? 'dataset_version' : 'training_file');
  if (input.dataset_version && input.validation_file) throw new JobInputError('validation_file goes with training_file; a dataset version brings its own validation split', 'validation_file');
  return input.training_file ? filesData(db, input.training_file, input.validation_file ?? null) : datasetVersionData(db, input.dataset_version ?? '');
}

/** A sweep's trials, each checked as a run of its own; null when the request is one run. */
function planSweep(resolved: ReturnType<typeof resolveMethod>, seed: number): TrialParams[] | null {
  const { sweep } = resolved.hyperparameters;
  if (!sweep) return null;
  try {
    const trials = planTrials(sweep, seed);
    for (const params of trials) resolveMethod('local', { type: resolved.method, hyperparameters: trialHyperparameters(resolved.hyperparameters, params) as Hyperparameters }, undefined);
    return trials;
  } catch (error) {
    if (error instanceof SweepError || error instanceof HyperparameterError) throw new JobInputError(error.message, 'method.hyperparameters.sweep');
    throw error;
  }
}

/**
 * What a model trained on a dataset's task is for: a preference dataset (drafts vs what the agents
 * sent) teaches a better reply model, which competes with, and can replace, the reply model in
 * production; every other task's model is for that task; uploaded files default to reply.
 */
export function modelTaskFor(datasetTask: string | null): string {
  return datasetTask === null || datasetTask === 'preference' ? 'reply' : datasetTask;
}

/** Validates everything that can be checked without the worker, then inserts and queues in one transaction. */
export async function createJob(db: Tx, input: NewFineTuningJob, options: CreateOptions): Promise<FineTuningJob> {
  const backend = input.backend ?? 'local';
  if (!options.backends.includes(backend)) throw new JobInputError(`the ${backend} backend is not configured here${backend === 'openai' ? ' (set OPENAI_API_KEY)' : ''}`, 'backend');
  const classifier = input.method?.type === 'classifier';
  if (classifier && input.model !== CLASSIFIER_BASE_MODEL) throw new JobInputError(`method classifier trains "${CLASSIFIER_BASE_MODEL}" (a model the hub builds from scratch); got "${input.model}"`, 'model');
  if (backend === 'local' && !classifier && options.baseModels && !options.baseModels.includes(input.model)) {
    throw new JobInputError(`model "${input.model}" is not an allowed base model here (TRAINING_BASE_MODELS: ${options.baseModels.join(', ')})`, 'model');
  }
  let resolved: ReturnType<typeof resolveMethod>;
  let data: TrainingData & { versionId?: string };
  try {
    data = await resolveData(db, input);
    // Preference examples (a `preference` dataset version, a prompt/chosen/rejected file) train with DPO unless told otherwise.
    const method = input.method ?? (data.train.format === 'preference' ? { type: 'dpo' as const } : undefined);
    resolved = resolveMethod(backend, method, input.hyperparameters);
  } catch (error) {
    if (error instanceof HyperparameterError || error instanceof DataSourceError) throw new JobInputError(error.message, error.param);
    throw error;
  }
  const wanted = formatFor(resolved.method);
  if (backend === 'local' && options.home !== undefined) {
    try {
      checkBaseModel(options.home, input.model, RunConfigFields.max_seq_length.parse(resolved.hyperparameters.max_seq_length));
    } catch (error) {
      if (error instanceof BaseModelError) throw new JobInputError(error.message, error.message.startsWith('max_seq_length') ? 'method.hyperparameters.max_seq_length' : 'model');
      throw error;
    }
  }
  if (data.train.format !== wanted) {
    throw new JobInputError(`method ${resolved.method} trains on ${wanted} examples, but the training data is in the ${data.train.format} format`, input.training_file ? 'training_file' : 'dataset_version');
  }
  if (resolved.method === 'classifier' && input.task) throw new JobInputError('a classifier\'s task is its policy\'s (compliance:<policy>); leave task out', 'task');
  if (resolved.method === 'classifier' && data.task !== 'compliance') {
    throw new JobInputError(`method classifier learns from a compliance dataset version (decided alerts); this data is ${data.task ? `a ${data.task} version` : 'uploaded files'}`, input.training_file ? 'training_file' : 'dataset_version');
  }
  if (backend === 'local' && !data.validation && (data.train.examples ?? 0) < 2) {
    throw new JobInputError('without a validation_file the training file needs at least 2 examples (some are held out for validation)', 'training_file');
  }
  const seed = input.seed ?? randomInt(0, 2_147_483_647);
  const trials = planSweep(resolved, seed);

  return db.transaction(async (tx) => {
    const [job] = await tx
      .insert(fineTuningJobs)
      .values({
        backend,
        model: input.model,
        method: resolved.method,
        hyperparameters: resolved.hyperparameters,
        suffix: input.suffix ?? null,
        seed,
        // A sweep trains nothing itself: it is running while its trials are (sweep/settle.ts ends it).
        ...(trials ? { status: 'running' as const, startedAt: new Date() } : {}),
        metadata: input.metadata ?? null,
        // A policy's classifier serves that policy alone: its own task in the registry.
        task: resolved.hyperparameters.classifier ? classifierTask(resolved.hyperparameters.classifier.policy) : (input.task ?? modelTaskFor(data.task)),
        datasetVersionId: data.versionId ?? null,
        trainingFileId: input.training_file ?? null,
        validationFileId: input.validation_file ?? null,
        createdBy: options.actor,
      })
      .returning();
    if (!job) throw new Error('fine-tuning job insert returned nothing');
    await recordEvent(tx, job.id, { level: 'info', type: 'status', message: `Created fine-tuning job: ${resolved.method} of ${input.model} (${backend})`, data: { status: job.status } });
    await recordAudit(tx, { actor: options.actor, action: 'fine_tuning_job.created', subjectType: 'fine_tuning_job', subjectId: job.id, details: { backend, model: input.model, method: resolved.method } });
    if (trials) {
      await recordEvent(tx, job.id, { level: 'info', type: 'sweep', message: `Hyperparameter sweep: ${trials.length} trials (${resolved.hyperparameters.sweep?.strategy})`, data: { trials } });
      for (const [index, params] of trials.entries()) {
        const [child] = await tx
          .insert(fineTuningJobs)
          .values({ ...job, id: undefined, status: 'validating_files', startedAt: null, hyperparameters: trialHyperparameters(resolved.hyperparameters, params), suffix: `${job.suffix ?? 'sweep'}-t${index + 1}`, parentJobId: job.id, trial: index + 1, createdAt: new Date() })
          .returning();
        if (!child) throw new Error('sweep trial insert returned nothing');
        await recordEvent(tx, child.id, { level: 'info', type: 'status', message: `Created trial ${index + 1} of sweep ${job.id}: ${JSON.stringify(params)}`, data: { status: child.status, trial: index + 1, params } });
        await options.queue.send('finetune.train', { fineTuningJobId: child.id }, { tx });
      }
    } else await options.queue.send('finetune.train', { fineTuningJobId: job.id }, { tx });
    await notifyStatus(tx, options, job.id);
    return job;
  });
}

export async function getJob(db: Tx, id: string): Promise<FineTuningJob | null> {
  if (!z.uuid().safeParse(id).success) return null;
  const [job] = await db.select().from(fineTuningJobs).where(eq(fineTuningJobs.id, id));
  return job ?? null;
}

/** Newest first; `after` is the id of the last job of the previous page; metadata filters by exact values. */
export async function listJobs(db: Tx, options: { after?: string; limit: number; metadata?: Record<string, string> }): Promise<{ rows: FineTuningJob[]; hasMore: boolean }> {
  const after = options.after ? await getJob(db, options.after) : null;
  if (options.after && !after) throw new JobInputError(`no fine-tuning job "${options.after}"`, 'after');
  const rows = await db
    .select()
    .from(fineTuningJobs)
    .where(
      and(
        after ? or(lt(fineTuningJobs.createdAt, after.createdAt), and(eq(fineTuningJobs.createdAt, after.createdAt), lt(fineTuningJobs.id, after.id))) : undefined,
        options.metadata && Object.keys(options.metadata).length ? sql`${fineTuningJobs.metadata} @> ${JSON.stringify(options.metadata)}::jsonb` : undefined,
      ),
    )
    .orderBy(desc(fineTuningJobs.createdAt), desc(fineTuningJobs.id))
    .limit(options.limit + 1);
  return { rows: rows.slice(0, options.limit), hasMore: rows.length > options.limit };
}

/**
 * Asks a job to stop. A job no runner has started is cancelled at once; a running one is stopped
 * by its runner (the worker gets SIGTERM, then SIGKILL) within seconds. Finished jobs are unchanged.
 */
export async function cancelJob(db: Tx, queue: Queue | null, id: string, actor: string): Promise<FineTuningJob | null> {
  const existing = await getJob(db, id);
  if (!existing) return null;
  return db.transaction(async (tx) => {
    const [requested] = await tx
      .update(fineTuningJobs)
      .set({ cancelRequestedAt: sql`coalesce(${fineTuningJobs.cancelRequestedAt}, now())` })
      .where(eq(fineTuningJobs.id, id))
      .returning();
    if (!requested || !ACTIVE.includes(requested.status)) return requested ?? null;
    await recordAudit(tx, { actor, action: 'fine_tuning_job.cancel_requested', subjectType: 'fine_tuning_job', subjectId: id });
    // A sweep: cancel every trial (their runners stop the running ones), then the sweep itself.
    const trials = await tx.select({ id: fineTuningJobs.id }).from(fineTuningJobs).where(eq(fineTuningJobs.parentJobId, id));
    if (trials.length) {
      for (const trial of trials) await cancelJob(tx, queue, trial.id, actor);
      return (await transition(tx, { queue }, id, { from: ACTIVE, to: 'cancelled', message: `Sweep cancelled with its ${trials.length} trials` })) ?? requested;
    }
    // Not picked up yet: nobody else will move it, so cancel here. A running job's runner does it.
    const cancelled = requested.heartbeatAt === null ? await transition(tx, { queue }, id, { from: ['validating_files', 'queued'], to: 'cancelled', message: 'Fine-tuning job cancelled before it started' }) : null;
    if (!cancelled) await recordEvent(tx, id, { level: 'info', type: 'status', message: 'Cancellation requested; stopping the run', data: { status: requested.status } });
    return cancelled ?? requested;
  });
}
