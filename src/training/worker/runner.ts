/**
 * Runs a local fine-tuning job: the gpu-worker validates the config and data (validating_files →
 * queued), then trains (running) into TUNELOOP_HOME/runs/<job id>. Every stdout line is parsed and
 * stored as it arrives. The worker's exit decides the end: succeeded (a candidate model), failed,
 * cancelled, or, for failures a retry may fix, a thrown error so pg-boss retries and the worker
 * resumes from its last checkpoint.
 */
import type { ArtifactStore } from '../../artifacts/index.ts';
import type { Config } from '../../config.ts';
import type { Database } from '../../db/client.ts';
import type { JobError } from '../../db/schema/index.ts';
import type { Logger } from '../../log.ts';
import { claimJob, watchForCancel, withJobLock } from '../claim.ts';
import { DataSourceError, jobData } from '../data-sources.ts';
import { applyWorkerEvent, recordEvent } from '../events.ts';
import { cancel, fail, localModelName, succeed } from '../outcomes.ts';
import { prepareRun } from './run-config.ts';
import { transition, type FineTuningJob, type Notifier } from '../status.ts';
import { parseWorkerLine, type DoneEvent, type WorkerEvent } from './events.ts';
import { startWorker, stopLeftoverWorker, workerPython, type WorkerExit } from './process.ts';

export interface RunnerDeps extends Notifier {
  database: Database;
  log: Logger;
  config: Config;
  store: ArtifactStore;
}

export interface RunOptions {
  /** Aborted when this process shuts down: the worker is stopped and the job retried elsewhere. */
  signal?: AbortSignal;
  /** No retry follows: a failure a retry might fix fails the job instead. */
  lastAttempt: boolean;
  /** How often a cancel request is looked for. */
  pollMs?: number;
  /** Between SIGTERM and SIGKILL when stopping the worker. */
  graceMs?: number;
}

/** Errors a person must fix first (gpu-worker/tuneloop_worker/errors.py kinds with exit code 2, and OOM). */
const PERMANENT: Record<string, string> = {
  config: 'invalid_config',
  data: 'invalid_training_file',
  model: 'invalid_model',
  environment: 'unsupported_environment',
  out_of_memory: 'out_of_memory',
};

export class RetryableRunError extends Error {
  override name = 'RetryableRunError';
}

interface Attempt {
  events: WorkerEvent[];
  /** Null when the run reported `done` and is still tearing down (Python's exit takes seconds). */
  exit: WorkerExit | null;
  stoppedFor: 'cancel' | 'shutdown' | null;
  /** Waits for the process to end, stopping it if it lingers after `done`. */
  reap(): Promise<WorkerExit>;
}

/** Progress ticks refresh the run's Slack message at most this often (status changes always do). */
const RUN_PROGRESS_SECONDS = 15;

/** Throttled by pg-boss: one `slack.notify` per run per slot, however fast the worker reports. */
async function notifyProgress(deps: RunnerDeps, jobId: string): Promise<void> {
  await deps.queue?.send('slack.notify', { kind: 'run.status', subjectId: jobId }, { singletonKey: `run.progress:${jobId}`, singletonSeconds: RUN_PROGRESS_SECONDS });
}

/** After `done`, how long the worker may take to exit before it is stopped. */
const EXIT_GRACE_MS = 30_000;

/**
 * Runs the worker once, storing its events in order. Resolves when it has exited, or as soon as its
 * final `done` event is stored (the result is complete then), with every event before it stored.
 */
async function runWorker(deps: RunnerDeps, job: FineTuningJob, args: string[], dir: string, options: RunOptions, skipWarnings: Set<string>): Promise<Attempt> {
  const log = deps.log.child({ fineTuningJobId: job.id, attempt: job.attempts });
  const events: WorkerEvent[] = [];
  let chain: Promise<void> = Promise.resolve();
  let writeError: unknown = null;
  const worker = startWorker({
    python: workerPython(deps.config),
    args,
    // Validation is one cheap process; training may fan out over GPUs.
    accelerateArgs: args[0] === 'train' ? deps.config.TRAINING_ACCELERATE_ARGS : undefined,
    log,
    pidDir: dir,
    onLine(line) {
      const parsed = parseWorkerLine(line);
      if (!parsed.ok) {
        log.warn({ reason: parsed.reason, line: line.slice(0, 200) }, 'ignored a gpu-worker stdout line that is not an event');
        return;
      }
      const event = parsed.event;
      events.push(event);
      if (event.type === 'warning' && skipWarnings.has(event.message)) return;
      if (event.type === 'warning') skipWarnings.add(event.message);
      chain = chain
        .then(() => deps.database.db.transaction((tx) => applyWorkerEvent(tx, job.id, event, job.attempts)))
        .then(() => {
          // A lost progress tick only delays the Slack message; it must not fail the run.
          if (event.type === 'progress' || event.type === 'eval') void notifyProgress(deps, job.id).catch((error: unknown) => log.warn({ err: error }, 'progress notification not sent'));
        })
        .catch((error: unknown) => {
          writeError ??= error;
        });
      // A sweep's trials each end with a `done` of their own (with `trial`); only the last one counts.
      if (event.type === 'done' && event.trial === undefined) void chain.then(() => reportedDone());
    },
  });
  let reportedDone: () => void = () => undefined;
  const done = new Promise<null>((resolve) => {
    reportedDone = () => resolve(null);
  });
  let stoppedFor: Attempt['stoppedFor'] = null;
  const stop = (why: 'cancel' | 'shutdown') => {
    if (stoppedFor) return;
    stoppedFor = why;
    log.info({ why }, 'stopping the gpu-worker');
    void worker.stop(options.graceMs ?? 5_000);
  };
  const onShutdown = () => stop('shutdown');
  options.signal?.addEventListener('abort', onShutdown, { once: true });
  if (options.signal?.aborted) onShutdown();
  const unwatch = watchForCancel(deps.database, job.id, options.pollMs ?? 1_000, () => stop('cancel'));
  const reap = async () => {
    const timer = setTimeout(() => void worker.stop(options.graceMs ?? 5_000), EXIT_GRACE_MS);
    const exit = await worker.exited;
    clearTimeout(timer);
    return exit;
  };
  try {
    const exit = await Promise.race([worker.exited, done]);
    await chain;
    if (writeError) throw writeError;
    return { events, exit, stoppedFor, reap };
  } finally {
    unwatch();
    options.signal?.removeEventListener('abort', onShutdown);
  }
}

function errorOf(attempt: Attempt, exit: WorkerExit): { kind: string; message: string } {
  const error = attempt.events.findLast((event) => event.type === 'error');
  if (error?.type === 'error') return { kind: error.kind, message: error.message };
  const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
  return { kind: exit.code === 127 ? 'environment' : 'runtime', message: `the gpu-worker ${how} without reporting an error; see the hub log` };
}

/**
 * Ends the attempt in the database. Returns normally for a final state; throws RetryableRunError
 * (after moving the job back to queued) when pg-boss should run it again.
 */
async function settle(deps: RunnerDeps, job: FineTuningJob, attempt: Attempt, options: RunOptions): Promise<void> {
  const { db } = deps.database;
  if (attempt.stoppedFor === 'cancel') {
    await db.transaction((tx) => cancel(tx, deps, job, job.attempts));
    return;
  }
  const done = attempt.events.findLast((event): event is DoneEvent => event.type === 'done' && event.trial === undefined);
  if (done && (attempt.exit === null || attempt.exit.code === 0)) {
    await db.transaction((tx) =>
      succeed(tx, deps, job, {
        fineTunedModel: localModelName(job),
        result: done,
        cost: done.cost,
        trainedTokens: done.cost.tokens_seen,
        bestStep: done.best_step,
        metrics: { ...done.metrics, best_step: done.best_step, steps_trained: done.steps_trained, total_steps: done.total_steps },
        adapterPath: done.adapter_path,
        modelPath: done.model_path,
        attempt: job.attempts,
      }),
    );
    return;
  }
  if (attempt.stoppedFor === 'shutdown') {
    await db.transaction((tx) => transition(tx, deps, job.id, { from: ['running', 'validating_files', 'queued'], to: 'queued', message: 'Interrupted by a shutdown; queued to resume from the last checkpoint', attempt: job.attempts }));
    throw new RetryableRunError('interrupted by shutdown');
  }
  const exit = attempt.exit ?? (await attempt.reap());
  const { kind, message } = errorOf(attempt, exit);
  const code = PERMANENT[kind];
  if (code || exit.code === 2 || options.lastAttempt) {
    const error: JobError = { code: code ?? 'training_failed', message, param: kind === 'data' ? 'training_file' : null };
    await db.transaction((tx) => fail(tx, deps, job, error, job.attempts));
    return;
  }
  await db.transaction((tx) => transition(tx, deps, job.id, { from: ['running'], to: 'queued', level: 'warn', message: `Attempt ${job.attempts} failed (${message}); retrying from the last checkpoint`, attempt: job.attempts }));
  throw new RetryableRunError(message);
}

export async function runLocalJob(deps: RunnerDeps, jobId: string, options: RunOptions): Promise<FineTuningJob | null> {
  return withJobLock(deps.database, jobId, deps.log, async () => {
    const job = await claimJob(deps.database, deps, jobId);
    if (!job) return null;
    const log = deps.log.child({ fineTuningJobId: jobId, attempt: job.attempts });
    const { db } = deps.database;

    let prepared;
    try {
      prepared = await prepareRun(deps.store, deps.config.TUNELOOP_HOME, job, await jobData(db, job));
    } catch (error) {
      if (!(error instanceof DataSourceError)) throw error;
      await db.transaction((tx) => fail(tx, deps, job, { code: 'invalid_training_file', message: error.message, param: error.param }, job.attempts));
      return null;
    }
    if (prepared.heldOut) {
      await recordEvent(db, jobId, { level: 'info', type: 'status', message: `No validation file: held out ${prepared.heldOut.validation} of ${prepared.heldOut.train + prepared.heldOut.validation} training examples for validation`, attempt: job.attempts });
    }
    // A hub killed with SIGKILL leaves its worker running; it must not train into this folder beside ours.
    await stopLeftoverWorker(prepared.dir, log, options.graceMs ?? 5_000);

    const warnings = new Set<string>();
    let current = job;
    if (current.status === 'validating_files') {
      const validation = await runWorker(deps, current, ['validate', '--config', prepared.configPath], prepared.dir, options, warnings);
      if (validation.stoppedFor === 'shutdown') throw new RetryableRunError('interrupted by shutdown while validating');
      if (!validation.events.some((event) => event.type === 'valid')) {
        await settle(deps, current, validation, { ...options, lastAttempt: true });
        return null;
      }
      const queued = await db.transaction((tx) => transition(tx, deps, jobId, { from: ['validating_files'], to: 'queued', message: 'Validated; queued for training', attempt: job.attempts }));
      if (!queued) return null;
      current = queued;
    }
    if (current.status === 'queued') {
      const running = await db.transaction((tx) =>
        transition(tx, deps, jobId, { from: ['queued'], to: 'running', message: job.attempts > 1 ? `Training (attempt ${job.attempts})` : 'Fine-tuning job started', set: { startedAt: current.startedAt ?? new Date() }, attempt: job.attempts }),
      );
      if (!running) return null;
      current = running;
    } else {
      await recordEvent(db, jobId, { level: 'info', type: 'status', message: `Attempt ${job.attempts}: resuming from the last checkpoint`, attempt: job.attempts });
    }

    log.info({ dir: prepared.dir }, 'starting the gpu-worker');
    const attempt = await runWorker(deps, current, ['train', '--config', prepared.configPath, '--out', prepared.dir], prepared.dir, options, warnings);
    try {
      await settle(deps, current, attempt, options);
    } finally {
      // Never leave a worker behind: the job is settled, the process still has to end.
      const exit = await attempt.reap();
      log.info({ exit, stoppedFor: attempt.stoppedFor }, 'gpu-worker finished');
    }
    return current;
  });
}
