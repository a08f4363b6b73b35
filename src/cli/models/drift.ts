/**
 * `tuneloop drift check --task T` runs a drift check now (stored like a scheduled one) and prints
 * its metrics; `drift list` shows recent reports.
 */
import type { Command } from 'commander';
import type { DriftMetrics } from '../../models/drift/metrics.ts';
import { checkDrift, DriftDataError, listDriftReports } from '../../models/drift/check.ts';
import { startQueue } from '../../queue/queue.ts';
import { fail, quietLogger, withDatabase } from '../context.ts';

const pct = (value: number | null | undefined) => (value === null || value === undefined ? 'n/a' : `${(value * 100).toFixed(1)} %`);
const top = (counts: Record<string, number>) => {
  const total = Object.values(counts).reduce((sum, value) => sum + value, 0) || 1;
  return Object.entries(counts).sort((a, b) => b[1] - a[1]).slice(0, 5).map(([key, value]) => `${key} ${Math.round((value / total) * 100)}%`).join(', ');
};

export function formatDriftMetrics(metrics: DriftMetrics): string {
  const lines = [
    `training examples ${metrics.train.examples}, live messages ${metrics.live.messages} since ${metrics.live.since}`,
    `language        JS ${metrics.language.jsDistance.toFixed(3)}  PSI ${metrics.language.psi.toFixed(3)}   train: ${top(metrics.train.languages)} | live: ${top(metrics.live.languages)}`,
    ...Object.entries(metrics.labels).map(([name, value]) => `label ${name.padEnd(9)} JS ${value.jsDistance.toFixed(3)}  PSI ${value.psi.toFixed(3)}`),
    `median length   train ${metrics.train.medianLength ?? 'n/a'} chars, live ${metrics.live.medianLength ?? 'n/a'} chars (change ${pct(metrics.length.relativeChange)})`,
    `unseen words    live ${pct(metrics.vocabulary.unseenShare)}, held-out ${pct(metrics.train.heldOutUnseenShare)}, excess ${pct(metrics.vocabulary.excessUnseenShare)}`,
    `thresholds      JS ${metrics.thresholds.js}, length ${pct(metrics.thresholds.lengthChange)}, unseen ${pct(metrics.thresholds.unseen)}`,
  ];
  if (metrics.insufficient) lines.push(`not judged: ${metrics.insufficient}`);
  else lines.push(metrics.reasons.length ? `DRIFTED: ${metrics.reasons.join('; ')}` : 'no drift');
  return `${lines.join('\n')}\n`;
}

export function registerDriftCommands(program: Command) {
  const drift = program.command('drift').description("drift of live inputs from the production model's training set");

  drift
    .command('check')
    .description('check a task now, store the report, and print its metrics')
    .requiredOption('--task <task>', 'reply, triage, …')
    .action(async (options: { task: string }) => {
      await withDatabase(async (database, config) => {
        const queue = await startQueue({ url: database.url, schema: config.QUEUE_SCHEMA, log: quietLogger(config) });
        try {
          const report = await checkDrift({ db: database.db, queue, config }, options.task);
          process.stdout.write(`report ${report.id}  task ${report.task}  model ${report.modelId}  score ${report.score}\n${formatDriftMetrics(report.metrics)}`);
        } catch (error) {
          if (error instanceof DriftDataError) fail(error.message);
          throw error;
        } finally {
          await queue.stop({ timeoutMs: 1_000 });
        }
      });
    });

  drift
    .command('list')
    .description('recent drift reports, newest first')
    .option('--task <task>')
    .option('--limit <n>', 'how many', '20')
    .action(async (options: { task?: string; limit: string }) => {
      await withDatabase(async (database) => {
        for (const report of await listDriftReports(database.db, { task: options.task, limit: Math.min(500, Math.max(1, Number(options.limit) || 20)) })) {
          process.stdout.write(`${report.id}  ${report.createdAt.toISOString()}  ${report.task.padEnd(10)} ${report.drifted ? 'DRIFTED' : 'ok     '}  score ${report.score}\n`);
        }
      });
    });
}
