/**
 * `/tuneloop retrain [task] [--dataset <version>] [--base <model>] [--method <type>]`: harvest, build
 * a fresh dataset version, then train (or train on the given version at once), with one live
 * message in this channel. A preference dataset trains with DPO unless --method says otherwise;
 * --sweep trains one trial per combination and keeps the best (src/training/sweep/).
 * Without arguments: a modal to choose the task, base model and main hyperparameters.
 */
import { desc } from 'drizzle-orm';
import { datasets } from '../../db/schema/index.ts';
import { productionModel } from '../../models/registry/registry.ts';
import { RetrainInputError, startManualRetrain } from '../../models/retraining/manual.ts';
import { escapeText, type SlackContext } from '../context.ts';
import { postRetrainMessage } from '../retrain-message.ts';
import { retrainModal } from '../views/retrain-modal.ts';
import { UsageError, type SubCommand } from './command.ts';
import { parseSweepFlag } from './sweep-flag.ts';

const METHODS = ['dpo', 'lora', 'qlora', 'full', 'supervised'];

export async function modalFor(ctx: SlackContext, channel: string) {
  const { db } = ctx.deps.database;
  const tasks = [...new Set((await db.select({ task: datasets.task }).from(datasets).orderBy(desc(datasets.createdAt))).map((row) => row.task))];
  const defaultTask = tasks[0] ?? null;
  const production = defaultTask ? await productionModel(db, defaultTask) : null;
  return retrainModal({ tasks, defaultTask, baseModel: production?.baseModel ?? null, channel });
}

export const retrainCommand: SubCommand = {
  name: 'retrain',
  role: 'operator',
  usage: '/tuneloop retrain [task] [--dataset <version>] [--base <model>] [--method dpo|lora|qlora|full] [--sweep "learning_rate=1e-4,2e-4 lora_r=8,16" [--trials N]]',
  summary: 'harvest, build a dataset version and fine-tune, with a live message here (no arguments: a form)',
  async run({ ctx, input, args, actor }) {
    if (!args.words.length && !args.flags.size) {
      return { ack: { text: ':gear: Opening the retrain form…' }, after: async () => void (await ctx.slack.openView(input.triggerId, await modalFor(ctx, input.channelId))) };
    }
    const task = args.words[0];
    if (!task || args.words.length > 1) throw new UsageError('name one task, e.g. reply');
    for (const flag of args.flags.keys()) if (!['dataset', 'base', 'method', 'sweep', 'trials'].includes(flag)) throw new UsageError(`unknown option --${flag}`);
    const dataset = args.flags.get('dataset');
    const base = args.flags.get('base');
    const method = args.flags.get('method');
    if (dataset === true || base === true || method === true) throw new UsageError('--dataset, --base and --method need a value');
    if (method !== undefined && !METHODS.includes(method)) throw new UsageError(`--method must be one of ${METHODS.join(', ')}`);
    const sweepFlag = args.flags.get('sweep');
    const trials = args.flags.get('trials');
    if (sweepFlag === true || trials === true) throw new UsageError('--sweep and --trials need a value');
    if (trials !== undefined && sweepFlag === undefined) throw new UsageError('--trials goes with --sweep');
    const sweep = sweepFlag === undefined ? undefined : parseSweepFlag(sweepFlag, trials);
    try {
      const run = await startManualRetrain(ctx.deps.database.db, ctx.deps.queue, {
        task,
        requestedBy: actor,
        slackChannel: input.channelId,
        ...(dataset ? { datasetVersion: dataset } : {}),
        ...(base ? { training: { model: base } } : {}),
        ...(method ? { method } : {}),
        ...(sweep ? { sweep } : {}),
      });
      return {
        ack: { text: `:gear: Retraining *${escapeText(task)}* (\`${run.id}\`): ${dataset ? `training on ${escapeText(dataset)}` : 'harvesting first'}. The message below follows it.` },
        after: () => postRetrainMessage(ctx, run.id, input.channelId, { userId: input.userId, responseUrl: input.responseUrl }),
      };
    } catch (error) {
      if (!(error instanceof RetrainInputError)) throw error;
      return { ack: { text: `Not started: ${escapeText(error.message)}.` } };
    }
  },
};
