/**
 * Following a fine-tuning job from the terminal, from what the runner stores: a live progress bar
 * (step/total, loss, validation loss, eta) or the event lines as they arrive.
 */
import cliProgress from 'cli-progress';
import type { Database } from '../../db/client.ts';
import { eventsSince, type JobEvent } from '../../training/events.ts';
import { getJob, type FineTuningJob } from '../../training/jobs.ts';
import { isTerminal } from '../../training/status.ts';

const POLL_MS = 500;

function formatLoss(value: number | null | undefined): string {
  return typeof value === 'number' ? value.toFixed(4) : '-';
}

function formatEta(seconds: number | null | undefined): string {
  if (typeof seconds !== 'number') return '-';
  const s = Math.max(0, Math.round(seconds));
  return s >= 3600 ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

export function eventLine(event: JobEvent): string {
  const level = event.level === 'info' ? '' : ` ${event.level.toUpperCase()}`;
  return `${event.createdAt.toISOString()}${level} [${event.type}] ${event.message}`;
}

const tick = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });

/** Draws the bar until the job ends (or `signal` aborts); returns the job's last state. */
export async function followWithBar(database: Database, jobId: string, signal: AbortSignal): Promise<FineTuningJob | null> {
  const bar = new cliProgress.SingleBar(
    { format: '{status} |{bar}| {value}/{total} steps | loss {loss} | val {val} | eta {remaining}', hideCursor: true, noTTYOutput: true, notTTYSchedule: 5_000, stream: process.stderr },
    cliProgress.Presets.shades_classic,
  );
  bar.start(1, 0, { status: 'starting', loss: '-', val: '-', remaining: '-' });
  let job: FineTuningJob | null = null;
  try {
    while (!signal.aborted) {
      job = await getJob(database.db, jobId);
      if (!job) break;
      const progress = job.progress;
      if (progress.totalSteps) bar.setTotal(progress.totalSteps);
      bar.update(progress.step ?? 0, { status: job.status, loss: formatLoss(progress.loss), val: formatLoss(progress.evalLoss), remaining: job.status === 'running' ? formatEta(progress.etaSeconds) : '-' });
      if (isTerminal(job.status)) break;
      await tick(POLL_MS, signal);
    }
  } finally {
    bar.stop();
  }
  return job;
}

/** Prints stored events, then (with `follow`) new ones as they arrive, until the job ends. */
export async function printEvents(database: Database, jobId: string, options: { follow: boolean; json: boolean; signal: AbortSignal }): Promise<void> {
  let last = 0;
  for (;;) {
    const job = await getJob(database.db, jobId);
    for (let batch = await eventsSince(database.db, jobId, last); batch.length; batch = await eventsSince(database.db, jobId, last)) {
      for (const event of batch) process.stdout.write(`${options.json ? JSON.stringify(event) : eventLine(event)}\n`);
      last = batch.at(-1)?.id ?? last;
    }
    if (!options.follow || !job || isTerminal(job.status) || options.signal.aborted) return;
    await tick(POLL_MS, options.signal);
  }
}
