/** `tuneloop harvest run|list|show|cancel`, with a live progress line while a harvest runs. */
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { findConnection } from '../../connections/store.ts';
import type { Database } from '../../db/client.ts';
import { executeRun } from '../../harvest/execute.ts';
import { cancelRun, createRun, getRun, listRuns, type HarvestRun } from '../../harvest/runs.ts';
import { startQueue } from '../../queue/queue.ts';
import { publicRun } from '../../web/api/harvests.ts';
import { keyringFor } from './connections.ts';
import { fail, quietLogger, withDatabase } from '../context.ts';

function summary(run: HarvestRun): string {
  return `${run.status}: ${run.conversationsSeen} conversations seen (${run.conversationsCreated} new, ${run.conversationsUpdated} updated), ${run.messagesWritten} messages, ${run.batches} batches, ${run.vendorRequests} vendor requests${run.error ? ` — ${run.error}` : ''}`;
}

/** Redraws one line from the run's stored counters, so it shows the same numbers as the API. */
function showProgress(database: Database, runId: string, label: string) {
  const bar = new cliProgress.SingleBar(
    { format: `${label} | {seen} conversations | {rate}/s | {created} new, {updated} updated | {messages} messages`, hideCursor: true, noTTYOutput: true, notTTYSchedule: 5_000, stream: process.stderr },
    cliProgress.Presets.shades_classic,
  );
  const started = Date.now();
  bar.start(0, 0, { seen: 0, rate: 0, created: 0, updated: 0, messages: 0 });
  const timer = setInterval(async () => {
    const run = await getRun(database.db, runId).catch(() => null);
    if (!run) return;
    const seconds = Math.max(1, (Date.now() - started) / 1000);
    bar.update(0, { seen: run.conversationsSeen, rate: Math.round(run.conversationsSeen / seconds), created: run.conversationsCreated, updated: run.conversationsUpdated, messages: run.messagesWritten });
  }, 250);
  return () => {
    clearInterval(timer);
    bar.stop();
  };
}

export function registerHarvestCommands(program: Command) {
  const harvest = program.command('harvest').description('pull conversations from a connection');

  harvest
    .command('run')
    .description('harvest a connection now (resumes from its cursor)')
    .argument('<connection>', 'connection id or name')
    .option('--queue', 'hand it to the running hub/workers instead of running it here')
    .action(async (name: string, options: { queue?: boolean }) => {
      await withDatabase(async (database, config) => {
        const log = quietLogger(config);
        const connection = await findConnection(database.db, name);
        if (!connection) fail(`no connection "${name}"`);
        if (options.queue) {
          const queue = await startQueue({ url: database.url, schema: config.QUEUE_SCHEMA, log });
          try {
            const { run, existing } = await createRun(database.db, connection.id, 'manual', queue);
            process.stdout.write(`${existing ? 'already running' : 'queued'}: harvest ${run.id}\n`);
          } finally {
            await queue.stop({ timeoutMs: 1_000 });
          }
          return;
        }
        const { run, existing } = await createRun(database.db, connection.id, 'manual', null);
        if (existing) fail(`a harvest of "${connection.name}" is already ${run.status} (${run.id}); follow it with: tuneloop harvest show ${run.id}`);
        const abort = new AbortController();
        const onSignal = () => abort.abort(new Error('interrupted'));
        process.once('SIGINT', onSignal);
        process.once('SIGTERM', onSignal);
        const stop = showProgress(database, run.id, `${connection.vendor} ${connection.name}`);
        let final: HarvestRun | null = null;
        try {
          final = await executeRun({ database, keyring: keyringFor(config), log, batchSize: config.HARVEST_BATCH_SIZE }, run.id, { signal: abort.signal, lastAttempt: true });
        } catch (error) {
          final = await getRun(database.db, run.id);
          if (!abort.signal.aborted) throw error;
        } finally {
          stop();
        }
        if (final) process.stdout.write(`${summary(final)}\n`);
        if (final?.status !== 'succeeded') process.exitCode = 1;
      });
    });

  harvest
    .command('list')
    .description('recent harvests')
    .option('--connection <id-or-name>')
    .option('--json', 'print JSON')
    .action(async (options: { connection?: string; json?: boolean }) => {
      await withDatabase(async ({ db }) => {
        const connection = options.connection ? await findConnection(db, options.connection) : null;
        if (options.connection && !connection) fail(`no connection "${options.connection}"`);
        const runs = await listRuns(db, connection ? { connectionId: connection.id } : {});
        if (options.json) return void process.stdout.write(`${JSON.stringify(runs.map(publicRun), null, 2)}\n`);
        for (const run of runs) process.stdout.write(`${run.id}  ${run.createdAt.toISOString()}  ${summary(run)}\n`);
      });
    });

  harvest
    .command('show')
    .description('one harvest as JSON')
    .argument('<id>')
    .action(async (id: string) => {
      await withDatabase(async ({ db }) => {
        const run = /^[0-9a-f-]{36}$/i.test(id) ? await getRun(db, id) : null;
        if (!run) fail(`no harvest ${id}`);
        process.stdout.write(`${JSON.stringify(publicRun(run), null, 2)}\n`);
      });
    });

  harvest
    .command('cancel')
    .description('stop a harvest after its current request; the next run resumes where it stopped')
    .argument('<id>')
    .action(async (id: string) => {
      await withDatabase(async ({ db }) => {
        const run = /^[0-9a-f-]{36}$/i.test(id) ? await cancelRun(db, id) : null;
        if (!run) fail(`no harvest ${id}`);
        process.stdout.write(`cancel requested: ${run.status}\n`);
      });
    });
}
