/**
 * `tuneloop retrain policy set --task reply --dataset replies --model M --min-new-examples 500 …`
 * and `retrain policy show [--task T]`: continuous retraining policies and their recent runs.
 */
import type { Command } from 'commander';
import { ScheduleError, validateSchedule } from '../../harvest/schedules.ts';
import { getPolicy, listPolicies, listRuns, RetrainingInputError, setPolicy, syncPolicySchedule, type PolicyRow } from '../../models/retraining/policies.ts';
import { startQueue } from '../../queue/queue.ts';
import { fail, quietLogger, readJsonObject, withDatabase } from '../context.ts';

interface SetOptions {
  task: string;
  dataset: string;
  model: string;
  method?: string;
  backend?: string;
  suffix?: string;
  hyperparameters?: string;
  cron?: string;
  minNewExamples?: string;
  onDrift?: boolean;
  acceptanceBelow?: string;
  autoPromote?: boolean;
  disable?: boolean;
}

function number(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isFinite(parsed)) fail(`${flag}: not a number`, 2);
  return parsed;
}

function describe(policy: PolicyRow): string {
  const t = policy.triggers;
  const triggers = [t.cron && `cron "${t.cron}"`, t.minNewExamples && `${t.minNewExamples} new examples`, t.onDrift && 'drift', t.acceptanceBelow && `acceptance below ${t.acceptanceBelow}`].filter(Boolean).join(', ');
  return `${policy.task}  ${policy.enabled ? 'enabled' : 'disabled'}  dataset ${policy.datasetId}  triggers: ${triggers}  auto-promote ${policy.autoPromote ? 'on' : 'off'}  last fired ${policy.lastFiredAt?.toISOString() ?? 'never'}\n  training ${JSON.stringify(policy.training)}\n`;
}

export function registerRetrainCommands(program: Command) {
  const retrain = program.command('retrain').description('continuous retraining policies');
  const policy = retrain.command('policy').description("set or show a task's retraining policy");

  policy
    .command('set')
    .description('create or replace the policy of a task')
    .requiredOption('--task <task>', 'reply, triage, …')
    .requiredOption('--dataset <name>', 'dataset (name or id) to build a new version of')
    .requiredOption('--model <model>', 'base model to fine-tune')
    .option('--method <type>', 'lora | qlora | full | dpo | supervised')
    .option('--backend <backend>', 'local | openai')
    .option('--suffix <suffix>', 'model name suffix')
    .option('--hyperparameters <file>', 'JSON file with the method hyperparameters')
    .option('--cron <expr>', 'retrain on this schedule, e.g. "0 3 * * 1"')
    .option('--min-new-examples <n>', 'retrain after this many new training examples (reply: agent replies; triage: tickets; compliance: decided alerts; preference: rewritten drafts)')
    .option('--on-drift', 'retrain when a drift check reports drift')
    .option('--acceptance-below <rate>', 'retrain when the draft acceptance rate drops below this (0..1)')
    .option('--auto-promote', 'promote the new model when the gate passes')
    .option('--disable', 'store the policy but do not fire it')
    .action(async (options: SetOptions) => {
      const hyperparameters = options.hyperparameters ? readJsonObject(options.hyperparameters) : undefined;
      const method = options.method ? { type: options.method, ...(hyperparameters ? { hyperparameters } : {}) } : undefined;
      const training = { model: options.model, ...(method ? { method } : {}), ...(options.backend ? { backend: options.backend } : {}), ...(options.suffix ? { suffix: options.suffix } : {}) };
      const triggers = { cron: options.cron ?? null, minNewExamples: number(options.minNewExamples, '--min-new-examples') ?? null, onDrift: options.onDrift ?? false, acceptanceBelow: number(options.acceptanceBelow, '--acceptance-below') ?? null };
      await withDatabase(async (database, config) => {
        const queue = await startQueue({ url: database.url, schema: config.QUEUE_SCHEMA, log: quietLogger(config) });
        try {
          if (triggers.cron) validateSchedule(queue, triggers.cron);
          // setPolicy validates every field with the policy schema.
          const saved = await setPolicy(database.db, { task: options.task, dataset: options.dataset, training, triggers, autoPromote: options.autoPromote ?? false, enabled: !options.disable }, 'cli');
          await syncPolicySchedule(queue, saved);
          process.stdout.write(describe(saved));
        } catch (error) {
          if (error instanceof RetrainingInputError || error instanceof ScheduleError) fail(error.message, 2);
          throw error;
        } finally {
          await queue.stop({ timeoutMs: 1_000 });
        }
      });
    });

  policy
    .command('show')
    .description('the policies (or one task) with recent runs')
    .option('--task <task>')
    .action(async (options: { task?: string }) => {
      await withDatabase(async (database) => {
        const policies = options.task ? [await getPolicy(database.db, options.task)].filter((p): p is PolicyRow => p !== null) : await listPolicies(database.db);
        if (!policies.length) fail(options.task ? `no retraining policy for ${options.task}` : 'no retraining policies');
        for (const row of policies) {
          process.stdout.write(describe(row));
          for (const run of await listRuns(database.db, row.task, 5)) {
            process.stdout.write(`  run ${run.id}  ${run.createdAt.toISOString()}  ${run.trigger.padEnd(16)} ${run.status.padEnd(9)} job ${run.fineTuningJobId ?? '-'}${run.error ? `  ${run.error}` : ''}${run.outcome ? `  ${JSON.stringify(run.outcome)}` : ''}\n`);
          }
        }
      });
    });
}
