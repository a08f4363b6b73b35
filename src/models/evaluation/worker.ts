/**
 * Runs `python -m tuneloop_worker evaluate` (gpu-worker/tuneloop_worker/evaluation/run.py) through
 * the training runner's process helpers, and parses what it says: JSON-line events on stdout, then
 * DIR/report.json. Both are outside input and go through zod.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { Config } from '../../config.ts';
import type { Logger } from '../../log.ts';
import { startWorker, workerPython, type WorkerExit } from '../../training/worker/process.ts';

const finite = z.number().nullable().optional();

/** A model's metrics as the worker writes them; unknown extras (e.g. `fields`) are kept. */
export const WorkerMetrics = z.looseObject({
  examples: z.number().int().min(0),
  eval_loss: finite,
  chrf: finite,
  rouge_l: finite,
  accuracy: finite,
  macro_f1: finite,
  per_label: z.record(z.string(), z.object({ precision: z.number(), recall: z.number(), f1: z.number(), support: z.number().int() })).optional(),
  precision: finite,
  recall: finite,
  no_prediction_rate: finite,
  latency_p50_ms: finite,
  latency_p95_ms: finite,
  tokens_per_second: finite,
});
export type WorkerMetrics = z.infer<typeof WorkerMetrics>;

export const WorkerReport = z.looseObject({
  task: z.string(),
  test_file: z.string(),
  examples: z.number().int().min(0),
  models: z.array(z.looseObject({ name: z.string(), kind: z.enum(['local', 'predictions']), predictions_file: z.string(), metrics: WorkerMetrics })),
});
export type WorkerReport = z.infer<typeof WorkerReport>;

const EvaluationEvent = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('evaluation_started'), task: z.string(), examples: z.number().int(), models: z.array(z.string()) }),
  z.looseObject({ type: z.literal('evaluation_progress'), model: z.string(), phase: z.string(), done: z.number().int(), total: z.number().int() }),
  z.looseObject({ type: z.literal('evaluation_model'), model: z.string(), metrics: WorkerMetrics }),
  z.looseObject({ type: z.literal('evaluation_done'), report_path: z.string() }),
  z.looseObject({ type: z.literal('warning'), message: z.string() }),
  z.looseObject({ type: z.literal('error'), message: z.string(), kind: z.string() }),
]);
export type EvaluationEvent = z.infer<typeof EvaluationEvent>;

/** Worker error kinds a retry cannot fix (gpu-worker/tuneloop_worker/errors.py, exit code 2). */
const PERMANENT_KINDS = new Set(['config', 'data', 'model', 'environment']);

export class EvaluationWorkerError extends Error {
  override name = 'EvaluationWorkerError';
  constructor(
    message: string,
    readonly permanent: boolean,
  ) {
    super(message);
  }
}

export interface EvaluationRun {
  report: WorkerReport;
  exit: WorkerExit;
}

/**
 * Runs the worker on `configPath` into `dir` and returns its report. Throws EvaluationWorkerError
 * (permanent when the config, data or model must change first). `signal` stops the worker.
 */
export async function runEvaluationWorker(options: {
  config: Pick<Config, 'TUNELOOP_WORKER_PYTHON'>;
  configPath: string;
  dir: string;
  log: Logger;
  signal?: AbortSignal;
  onEvent?: (event: EvaluationEvent) => void;
}): Promise<EvaluationRun> {
  const { log } = options;
  let error: { message: string; kind: string } | null = null;
  let done = false;
  const worker = startWorker({
    python: workerPython(options.config),
    args: ['evaluate', '--config', options.configPath, '--out', options.dir],
    log,
    pidDir: options.dir,
    onLine(line) {
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        log.warn({ line: line.slice(0, 200) }, 'ignored a gpu-worker stdout line that is not JSON');
        return;
      }
      const parsed = EvaluationEvent.safeParse(value);
      if (!parsed.success) return; // an event type this hub does not know yet
      const event = parsed.data;
      if (event.type === 'error') error = { message: event.message, kind: event.kind };
      if (event.type === 'evaluation_done') done = true;
      if (event.type === 'warning') log.warn({ message: event.message }, 'gpu-worker evaluation warning');
      options.onEvent?.(event);
    },
  });
  const stop = () => void worker.stop(5_000);
  options.signal?.addEventListener('abort', stop, { once: true });
  if (options.signal?.aborted) stop();
  let exit: WorkerExit;
  try {
    exit = await worker.exited;
  } finally {
    options.signal?.removeEventListener('abort', stop);
  }
  if (options.signal?.aborted) throw new EvaluationWorkerError('the evaluation was stopped by a shutdown', false);
  const reported = error as { message: string; kind: string } | null;
  if (!done || exit.code !== 0) {
    if (reported) throw new EvaluationWorkerError(`${reported.kind}: ${reported.message}`, PERMANENT_KINDS.has(reported.kind));
    const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
    // 127: the venv's python is missing; setting it up is a person's job.
    throw new EvaluationWorkerError(`the gpu-worker ${how} without reporting an error; see the hub log`, exit.code === 127);
  }
  const text = await readFile(join(options.dir, 'report.json'), 'utf8');
  const report = WorkerReport.safeParse(JSON.parse(text));
  if (!report.success) throw new EvaluationWorkerError(`report.json does not match the expected shape: ${report.error.issues[0]?.message ?? 'invalid'}`, true);
  return { report: report.data, exit };
}
