/**
 * `tuneloop models list|show|evaluate|promote|reject|rollback` and `tuneloop models ab start|show|end`: the
 * model registry from the terminal. Switches go through the same code as the API (gate, audit,
 * notification); the running hub serves the new model within a second, without a restart.
 */
import type { Command } from 'commander';
import type { Config } from '../../config.ts';
import { TASKS, type Task } from '../../datasets/config.ts';
import type { Database } from '../../db/client.ts';
import type { ModelStatus } from '../../db/schema/index.ts';
import { abTestStats, endAbTest, getAbTest, startAbTest } from '../../models/ab/ab-test.ts';
import { getEvaluation, latestEvaluation, requestEvaluation } from '../../models/evaluation/evaluations.ts';
import { reviewSummary } from '../../models/evaluation/reviews.ts';
import { gateVerdict, type GateVerdict } from '../../models/registry/gate.ts';
import { publicAbTest, publicModel, publicVerdict } from '../../models/registry/present.ts';
import { listModels, productionModel, RegistryError, requireModel, type ModelRow } from '../../models/registry/registry.ts';
import { promote, reject, rollback, type SwitchResult } from '../../models/registry/promotion.ts';
import { startQueue, type Queue } from '../../queue/queue.ts';
import { fail, quietLogger, withDatabase } from '../context.ts';
import { registerBaseModelCommands } from './base-models.ts';

const print = (value: unknown) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);

/** Registry refusals are the user's to fix: one line, exit 1 (2 for a bad request). */
async function refusals<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof RegistryError) {
      const verdict = error.details?.verdict as GateVerdict | undefined;
      if (verdict) process.stdout.write(`${verdictLines(verdict)}\n`);
      fail(error.message, error.code === 'invalid_request' ? 2 : 1);
    }
    throw error;
  }
}

/** The queue carries the Slack notification of a switch made here. */
async function withQueue<T>(database: Database, config: Config, run: (queue: Queue) => Promise<T>): Promise<T> {
  const queue = await startQueue({ url: database.url, schema: config.QUEUE_SCHEMA, log: quietLogger(config) });
  try {
    return await run(queue);
  } finally {
    await queue.stop({ timeoutMs: 1_000 });
  }
}

function verdictLines(verdict: GateVerdict): string {
  const rows = verdict.metrics.map((m) => `  ${m.pass ? 'pass' : 'FAIL'}  ${m.metric.padEnd(10)} candidate ${m.candidate ?? '—'}  baseline ${m.baseline ?? '—'}  (${m.direction} is better, tolerance ${m.tolerance})`);
  return [`gate: ${verdict.allowed ? 'allowed' : 'blocked'} — ${verdict.reason}`, ...rows].join('\n');
}

function switchedLine(what: string, result: SwitchResult): string {
  const from = result.previous ? ` (was ${result.previous.id})` : '';
  return `${what}: model ${result.model.id} is ${result.model.status} for ${result.model.task}${from}${result.forced ? ' — FORCED past the gate' : ''}\n`;
}

const modelLine = (m: ModelRow) => `${m.id}  ${m.task.padEnd(10)} ${m.status.padEnd(10)} ${m.createdAt.toISOString()}  ${m.backend} ${m.providerModel ?? m.baseModel}\n`;

/** A dataset task, or a compliance policy's classifier (compliance:<policy>). */
function parseTask(value: string): Task | `compliance:${string}` {
  if (/^compliance:[a-z0-9][a-z0-9._-]{1,79}$/.test(value)) return value as `compliance:${string}`;
  if (!(TASKS as readonly string[]).includes(value)) fail(`--task must be one of ${TASKS.join(', ')}, or compliance:<policy> for a policy's classifier`, 2);
  return value as Task;
}

export function registerModelCommands(program: Command) {
  const models = program.command('models').description('model registry: list, inspect, promote through the gate, reject, roll back, A/B test');

  models
    .command('list')
    .description('models, newest first')
    .option('--task <task>', `only this task (${TASKS.join(', ')}, compliance:<policy>)`)
    .option('--status <status>', 'candidate | production | archived')
    .option('--limit <n>', 'how many', '50')
    .option('--json', 'print JSON')
    .action(async (options: { task?: string; status?: string; limit: string; json?: boolean }) => {
      const task = options.task === undefined ? undefined : parseTask(options.task);
      if (options.status !== undefined && !['candidate', 'production', 'archived'].includes(options.status)) fail('--status must be candidate, production or archived', 2);
      await withDatabase(async ({ db }) => {
        const { rows } = await listModels(db, { task, status: options.status as ModelStatus | undefined, limit: Math.min(100, Math.max(1, Number(options.limit) || 50)) });
        if (options.json) return print(rows.map(publicModel));
        if (!rows.length) process.stdout.write('no models\n');
        for (const row of rows) process.stdout.write(modelLine(row));
      });
    });

  models
    .command('show')
    .description('one model as JSON, with its latest evaluation and what the gate says now')
    .argument('<id>')
    .action(async (id: string) => {
      await withDatabase(async ({ db }, config) => {
        const model = await refusals(() => requireModel(db, id));
        const evaluation = await latestEvaluation(db, model.id);
        const production = await productionModel(db, model.task);
        const verdict = model.status === 'production' ? null : gateVerdict({ task: model.task, modelId: model.id, evaluation, productionModelId: production?.id ?? null, tolerances: config });
        print({ ...publicModel(model), evaluation: evaluation ? { ...evaluation, human: await reviewSummary(db, evaluation.id) } : null, gate: verdict ? publicVerdict(verdict) : null });
      });
    });

  models
    .command('promote')
    .description('make a model production for its task; the gate must pass unless --force with --reason')
    .argument('<id>')
    .option('--force', 'promote although the gate blocks it (audited; needs --reason)')
    .option('--reason <text>', 'why (required with --force)')
    .action(async (id: string, options: { force?: boolean; reason?: string }) => {
      if (options.force && !options.reason?.trim()) fail('--force needs --reason "<why>"', 2);
      await withDatabase(async (database, config) => {
        const result = await withQueue(database, config, (queue) =>
          refusals(() => promote(database.db, id, { actor: 'cli', force: options.force, reason: options.reason, tolerances: config, queue })),
        );
        if (result.verdict) process.stdout.write(`${verdictLines(result.verdict)}\n`);
        process.stdout.write(switchedLine('promoted', result));
      });
    });

  models
    .command('reject')
    .description('archive a candidate (ends its A/B test, if one runs)')
    .argument('<id>')
    .option('--reason <text>', 'why')
    .action(async (id: string, options: { reason?: string }) => {
      await withDatabase(async ({ db }) => {
        const result = await refusals(() => reject(db, id, { actor: 'cli', reason: options.reason }));
        process.stdout.write(switchedLine('rejected', result));
      });
    });

  models
    .command('rollback')
    .description('put the previous production model of a task back')
    .requiredOption('--task <task>', `the task (${TASKS.join(', ')}, compliance:<policy>)`)
    .option('--reason <text>', 'why')
    .action(async (options: { task: string; reason?: string }) => {
      const task = parseTask(options.task);
      await withDatabase(async (database, config) => {
        const result = await withQueue(database, config, (queue) => refusals(() => rollback(database.db, task, { actor: 'cli', reason: options.reason, queue })));
        process.stdout.write(switchedLine('rolled back', result));
      });
    });

  models
    .command('evaluate')
    .description('evaluate a model again on its held-out test split (run by the hub); --wait shows the result')
    .argument('<id>')
    .option('--wait', 'wait for the evaluation to finish and print its report')
    .action(async (id: string, options: { wait?: boolean }) => {
      await withDatabase(async (database, config) => {
        const model = await refusals(() => requireModel(database.db, id));
        const { evaluation, created } = await withQueue(database, config, (queue) => requestEvaluation(database.db, queue, model.id));
        process.stdout.write(`${created ? 'queued' : `already ${evaluation.status}`}: evaluation ${evaluation.id} of model ${model.id}\n`);
        if (!options.wait) return;
        for (;;) {
          const current = await getEvaluation(database.db, evaluation.id);
          if (current?.status === 'succeeded' || current?.status === 'failed') return print(current);
          await new Promise((resolve) => setTimeout(resolve, 1_000));
        }
      });
    });

  registerBaseModelCommands(models);

  const ab = models.command('ab').description('A/B tests: serve a candidate to a share of tickets beside production');

  ab.command('start')
    .description('start serving a candidate to --share of its task’s tickets (stable per ticket)')
    .argument('<model-id>')
    .requiredOption('--share <fraction>', 'share of tickets for the candidate, 0 < share ≤ 1 (e.g. 0.1)')
    .action(async (modelId: string, options: { share: string }) => {
      const share = Number(options.share);
      if (!(share > 0 && share <= 1)) fail('--share must be a number greater than 0 and at most 1', 2);
      await withDatabase(async ({ db }) => {
        const test = await refusals(() => startAbTest(db, modelId, { share, actor: 'cli' }));
        process.stdout.write(`A/B test ${test.id} started: candidate ${test.candidateModelId} gets ${share * 100}% of ${test.task} tickets\n`);
      });
    });

  ab.command('show')
    .description('an A/B test with per-arm acceptance and the 95% interval of the difference, as JSON')
    .argument('<id>')
    .action(async (id: string) => {
      await withDatabase(async ({ db }) => {
        const test = (await getAbTest(db, id)) ?? fail(`no A/B test ${id}`);
        print(publicAbTest(test, await abTestStats(db, test)));
      });
    });

  ab.command('end')
    .description('end an A/B test by promoting (through the gate) or rejecting its candidate')
    .argument('<id>')
    .option('--promote', 'promote the candidate')
    .option('--reject', 'reject the candidate')
    .option('--force', 'promote although the gate blocks it (needs --reason)')
    .option('--reason <text>', 'why')
    .action(async (id: string, options: { promote?: boolean; reject?: boolean; force?: boolean; reason?: string }) => {
      if (Boolean(options.promote) === Boolean(options.reject)) fail('give exactly one of --promote or --reject', 2);
      if (options.force && !options.reason?.trim()) fail('--force needs --reason "<why>"', 2);
      await withDatabase(async (database, config) => {
        const { test, result } = await withQueue(database, config, (queue) =>
          refusals(() => endAbTest(database.db, id, options.promote ? 'promote' : 'reject', { actor: 'cli', force: options.force, reason: options.reason, tolerances: config, queue })),
        );
        if (result.verdict) process.stdout.write(`${verdictLines(result.verdict)}\n`);
        process.stdout.write(`A/B test ${test.id} ${test.status}\n${switchedLine(options.promote ? 'promoted' : 'rejected', result)}`);
      });
    });
}
