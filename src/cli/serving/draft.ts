/**
 * `tuneloop draft batch|status`: drafts (and triage) for a connection's open backlog. The jobs go
 * to the queue and are run by the hub/workers; this command waits with a progress bar until every
 * ticket has its write-back (Ctrl-C stops waiting, not the work), or returns at once with --no-wait.
 */
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { findConnection } from '../../connections/store.ts';
import type { Database } from '../../db/client.ts';
import { startQueue } from '../../queue/queue.ts';
import { BATCH_TASKS, BatchError, batchProgress, createBatch, getBatch, type BatchProgress, type BatchTask, type DraftBatch } from '../../serving/batch/batches.ts';
import { fail, quietLogger, withDatabase } from '../context.ts';

function describe(progress: BatchProgress): string {
  return Object.entries(progress.tasks)
    .map(([task, counts]) => `${task}: ${counts.done}/${progress.tickets} (${counts.posted} posted, ${counts.skipped} skipped, ${counts.failed} failed)`)
    .join('; ');
}

const doneCount = (progress: BatchProgress) => Object.values(progress.tasks).reduce((sum, counts) => sum + counts.done, 0);

async function follow(database: Database, batch: DraftBatch): Promise<BatchProgress> {
  const total = batch.tickets * batch.tasks.length;
  const bar = new cliProgress.SingleBar(
    { format: 'drafts |{bar}| {value}/{total} | {detail}', hideCursor: true, noTTYOutput: true, notTTYSchedule: 5_000, stream: process.stderr },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, { detail: '' });
  try {
    for (;;) {
      const progress = await batchProgress(database.db, batch);
      bar.update(doneCount(progress), { detail: describe(progress) });
      if (progress.done) return progress;
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  } finally {
    bar.stop();
  }
}

function parseTasks(value: string): BatchTask[] {
  const tasks = value === 'both' ? [...BATCH_TASKS] : value.split(',').map((task) => task.trim());
  for (const task of tasks) if (!(BATCH_TASKS as readonly string[]).includes(task)) fail(`--task must be reply, triage or both, not "${task}"`, 2);
  return tasks as BatchTask[];
}

export function registerDraftCommands(program: Command) {
  const draft = program.command('draft').description('draft replies and triage for tickets already harvested');

  draft
    .command('batch')
    .description("queue drafts for a connection's open tickets that have none yet, and follow their progress")
    .argument('<connection>', 'connection id or name')
    .option('--task <task>', 'reply, triage or both', 'reply')
    .option('--since <date>', 'only tickets updated since (ISO date)')
    .option('--limit <n>', 'at most this many tickets (newest first)')
    .option('--no-wait', 'queue and return without following progress')
    .action(async (name: string, options: { task: string; since?: string; limit?: string; wait: boolean }) => {
      const tasks = parseTasks(options.task);
      const since = options.since === undefined ? undefined : new Date(options.since);
      if (since && Number.isNaN(since.getTime())) fail(`--since must be a date such as 2026-01-31, not "${options.since}"`, 2);
      const limit = options.limit === undefined ? undefined : Number(options.limit);
      if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) fail(`--limit must be a positive whole number, not "${options.limit}"`, 2);
      await withDatabase(async (database, config) => {
        const connection = await findConnection(database.db, name);
        if (!connection) fail(`no connection "${name}"`);
        const queue = await startQueue({ url: database.url, schema: config.QUEUE_SCHEMA, log: quietLogger(config) });
        let batch: DraftBatch;
        try {
          batch = await createBatch(database.db, queue, { connectionId: connection.id, tasks, ...(since ? { since } : {}), ...(limit ? { limit } : {}), createdBy: 'cli' });
        } catch (error) {
          if (error instanceof BatchError) fail(error.message);
          throw error;
        } finally {
          await queue.stop({ timeoutMs: 1_000 });
        }
        process.stdout.write(`batch ${batch.id}: ${batch.tickets} open ticket${batch.tickets === 1 ? '' : 's'} queued for ${tasks.join(' and ')}\n`);
        if (!options.wait || batch.tickets === 0) return;
        const progress = await follow(database, batch);
        process.stdout.write(`done: ${describe(progress)}\n`);
      });
    });

  draft
    .command('status')
    .description('progress of a draft batch')
    .argument('<batch>', 'batch id')
    .option('--json', 'print JSON')
    .action(async (id: string, options: { json?: boolean }) => {
      if (!/^[0-9a-f-]{36}$/i.test(id)) fail(`"${id}" is not a batch id`, 2);
      await withDatabase(async (database) => {
        const batch = await getBatch(database.db, id);
        if (!batch) fail(`no draft batch ${id}`);
        const progress = await batchProgress(database.db, batch);
        process.stdout.write(options.json ? `${JSON.stringify({ ...batch, progress }, null, 2)}\n` : `${progress.done ? 'done' : 'running'}: ${describe(progress)}\n`);
      });
    });
}
