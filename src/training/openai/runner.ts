/**
 * Runs a job on OpenAI's managed fine-tuning: uploads the data, creates the provider's job (once:
 * its id is stored, and a retry that lost it finds it again by the metadata tag), then polls it,
 * storing new events, metrics and checkpoints, mirroring its status, forwarding a cancel, and
 * registering the fine-tuned model name as a candidate when it succeeds. A hub crash loses nothing:
 * the retry follows the same provider job.
 */
import { and, desc, eq, isNotNull } from 'drizzle-orm';
import { setTimeout as sleep } from 'node:timers/promises';
import { PROVIDERS } from '../../../integrations/registry.ts';
import { ProviderRequestError, VendorError, type ManagedEvent, type ManagedFineTuning } from '../../../integrations/types.ts';
import type { Config } from '../../config.ts';
import { fineTuningEvents, fineTuningJobs, type FineTuningStatus } from '../../db/schema/index.ts';
import { cancelRequested, claimJob, withJobLock } from '../claim.ts';
import { DataSourceError, jobData } from '../data-sources.ts';
import { recordEvent, upsertCheckpoint, upsertMetrics } from '../events.ts';
import { openaiMethod, type Hyperparameters } from '../hyperparameters.ts';
import type { RunnerDeps, RunOptions } from '../worker/runner.ts';
import { RetryableRunError } from '../worker/runner.ts';
import { cancel, fail, succeed } from '../outcomes.ts';
import { transition, type FineTuningJob } from '../status.ts';

export function openaiBackendFor(config: Pick<Config, 'OPENAI_API_KEY' | 'OPENAI_BASE_URL'>): ManagedFineTuning | null {
  return config.OPENAI_API_KEY ? PROVIDERS.openai.fineTuning({ apiKey: config.OPENAI_API_KEY, ...(config.OPENAI_BASE_URL ? { baseURL: config.OPENAI_BASE_URL } : {}) }) : null;
}

/** Transient provider failures in a row before the attempt gives up (pg-boss then retries it). */
const MAX_FAILED_POLLS = 10;

const num = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) ? value : null);

async function storeEvent(deps: RunnerDeps, job: FineTuningJob, event: ManagedEvent): Promise<void> {
  await deps.database.db.transaction(async (tx) => {
    const type = event.type === 'metrics' ? 'openai.metrics' : 'openai.message';
    const stored = await recordEvent(tx, job.id, { level: event.level, type, message: event.message, data: event.data, externalId: event.id, createdAt: event.createdAt, attempt: job.attempts });
    const step = num(event.data.step);
    if (!stored || event.type !== 'metrics' || step === null) return;
    const trainLoss = num(event.data.train_loss);
    const evalLoss = num(event.data.full_valid_loss) ?? num(event.data.valid_loss);
    await upsertMetrics(tx, job.id, step, { trainLoss, evalLoss });
    const progress = { step, totalSteps: num(event.data.total_steps) ?? undefined, loss: trainLoss, ...(evalLoss === null ? {} : { evalLoss }) };
    const [row] = await tx.select({ progress: fineTuningJobs.progress }).from(fineTuningJobs).where(eq(fineTuningJobs.id, job.id));
    await tx.update(fineTuningJobs).set({ progress: { ...row?.progress, ...progress }, heartbeatAt: new Date() }).where(eq(fineTuningJobs.id, job.id));
  });
}

async function lastExternalEventId(deps: RunnerDeps, jobId: string): Promise<string | null> {
  const [row] = await deps.database.db
    .select({ externalId: fineTuningEvents.externalId })
    .from(fineTuningEvents)
    .where(and(eq(fineTuningEvents.jobId, jobId), isNotNull(fineTuningEvents.externalId)))
    // Provider events are stored oldest first, so the highest id is the newest one.
    .orderBy(desc(fineTuningEvents.id))
    .limit(1);
  return row?.externalId ?? null;
}

/** Uploads the data and creates the provider's job unless an earlier attempt did. Returns its id. */
async function ensureProviderJob(deps: RunnerDeps, backend: ManagedFineTuning, job: FineTuningJob): Promise<string> {
  if (job.providerJobId) return job.providerJobId;
  const { db } = deps.database;
  const found = await backend.findJob(job.id);
  if (found) {
    await db.update(fineTuningJobs).set({ providerJobId: found.id }).where(eq(fineTuningJobs.id, job.id));
    return found.id;
  }
  const data = await jobData(db, job);
  const files = { ...job.providerFiles };
  for (const [slot, file] of [
    ['training', data.train],
    ['validation', data.validation],
  ] as const) {
    if (!file || files[slot]) continue;
    const content = await deps.store.get(file.key);
    if (!content) throw new DataSourceError(`training data ${file.key} is missing from the artifact store`, slot === 'training' ? 'training_file' : 'validation_file');
    files[slot] = await backend.uploadFile(`${job.id}-${slot}.jsonl`, content);
    await db.update(fineTuningJobs).set({ providerFiles: files }).where(eq(fineTuningJobs.id, job.id));
    await recordEvent(db, job.id, { level: 'info', type: 'status', message: `Uploaded the ${slot} file to OpenAI as ${files[slot]}`, attempt: job.attempts });
  }
  const created = await backend.createJob({
    model: job.model,
    trainingFile: files.training ?? '',
    validationFile: files.validation ?? null,
    method: openaiMethod(job.method, job.hyperparameters as Hyperparameters),
    suffix: job.suffix,
    seed: job.seed,
    tag: job.id,
    metadata: job.metadata,
  });
  await db.update(fineTuningJobs).set({ providerJobId: created.id }).where(eq(fineTuningJobs.id, job.id));
  await recordEvent(db, job.id, { level: 'info', type: 'status', message: `Created OpenAI fine-tuning job ${created.id}`, data: { providerJobId: created.id }, attempt: job.attempts });
  return created.id;
}

/** Polls until the provider's job ends; returns when this job reached a final state. */
async function follow(deps: RunnerDeps & { backend: ManagedFineTuning }, job: FineTuningJob, providerJobId: string, options: RunOptions): Promise<void> {
  const { db } = deps.database;
  let cancelSent = false;
  let failedPolls = 0;
  let status: FineTuningStatus = job.status;
  for (;;) {
    if (options.signal?.aborted) throw new RetryableRunError('interrupted by shutdown; the OpenAI job keeps running and a retry follows it');
    try {
      if (!cancelSent && (await cancelRequested(deps.database, job.id))) {
        await deps.backend.cancelJob(providerJobId);
        cancelSent = true;
      }
      const provider = await deps.backend.getJob(providerJobId);
      await db.update(fineTuningJobs).set({ heartbeatAt: new Date() }).where(eq(fineTuningJobs.id, job.id));
      for (const event of await deps.backend.newEvents(providerJobId, await lastExternalEventId(deps, job.id))) await storeEvent(deps, job, event);
      for (const checkpoint of await deps.backend.checkpoints(providerJobId)) {
        await upsertCheckpoint(db, job.id, { step: checkpoint.step, path: checkpoint.modelName, isBest: false, metrics: checkpoint.metrics });
      }
      failedPolls = 0;
      if (provider.status === 'succeeded') {
        const model = provider.fineTunedModel ?? providerJobId;
        await db.transaction((tx) =>
          succeed(tx, deps, job, { fineTunedModel: model, providerModel: model, result: { ...provider }, cost: null, trainedTokens: provider.trainedTokens, bestStep: null, metrics: {}, attempt: job.attempts }),
        );
        return;
      }
      if (provider.status === 'failed') {
        await db.transaction((tx) => fail(tx, deps, job, provider.error ?? { code: 'failed', message: 'OpenAI reported the job failed without a reason', param: null }, job.attempts));
        return;
      }
      if (provider.status === 'cancelled') {
        await db.transaction((tx) => cancel(tx, deps, job, job.attempts));
        return;
      }
      // validating_files, queued and running are ours too; anything newer (paused) reads as running.
      const mirrored: FineTuningStatus = provider.status === 'validating_files' || provider.status === 'queued' ? provider.status : 'running';
      if (mirrored !== status) {
        const moved = await db.transaction((tx) =>
          transition(tx, deps, job.id, { from: ['validating_files', 'queued', 'running'], to: mirrored, message: `OpenAI job ${providerJobId} is ${provider.status}`, set: mirrored === 'running' ? { startedAt: new Date() } : {}, attempt: job.attempts }),
        );
        if (!moved) return; // finished elsewhere (cancelled before it started)
        status = mirrored;
      }
    } catch (error) {
      if (!(error instanceof VendorError) || !error.retryable || ++failedPolls >= MAX_FAILED_POLLS) throw error;
      deps.log.warn({ err: error, fineTuningJobId: job.id, failedPolls }, 'polling OpenAI failed; trying again');
    }
    await sleep(deps.config.OPENAI_POLL_INTERVAL_MS, undefined, { signal: options.signal }).catch(() => undefined);
  }
}

export async function runOpenAIJob(deps: RunnerDeps & { backend: ManagedFineTuning | null }, jobId: string, options: RunOptions): Promise<FineTuningJob | null> {
  return withJobLock(deps.database, jobId, deps.log, async () => {
    const job = await claimJob(deps.database, deps, jobId);
    if (!job) return null;
    const { db } = deps.database;
    const backend = deps.backend;
    if (!backend) {
      await db.transaction((tx) => fail(tx, deps, job, { code: 'unsupported_environment', message: 'the openai backend is not configured on the worker that ran this job (set OPENAI_API_KEY)', param: 'backend' }, job.attempts));
      return null;
    }
    try {
      const providerJobId = await ensureProviderJob(deps, backend, job);
      await follow({ ...deps, backend }, job, providerJobId, options);
    } catch (error) {
      const permanent = error instanceof ProviderRequestError || error instanceof DataSourceError || (error instanceof VendorError && !error.retryable);
      if (!permanent && !options.lastAttempt) throw error;
      const jobError =
        error instanceof ProviderRequestError
          ? { code: error.code ?? 'invalid_request', message: error.message, param: error.param }
          : { code: error instanceof DataSourceError ? 'invalid_training_file' : 'provider_error', message: error instanceof Error ? error.message : String(error), param: null };
      await db.transaction((tx) => fail(tx, deps, job, jobError, job.attempts));
    }
    const [final] = await db.select().from(fineTuningJobs).where(eq(fineTuningJobs.id, jobId));
    return final ?? null;
  });
}
