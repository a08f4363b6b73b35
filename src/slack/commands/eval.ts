/** `/tuneloop eval <model>`: queues an evaluation of the model against production on the held-out split. */
import { requestEvaluation } from '../../models/evaluation/evaluations.ts';
import { getModel } from '../../models/registry/registry.ts';
import { escapeText } from '../context.ts';
import { UsageError, type SubCommand } from './command.ts';

export const evalCommand: SubCommand = {
  name: 'eval',
  role: 'operator',
  usage: '/tuneloop eval <model id>',
  summary: 'evaluate a model against production on the held-out split',
  async run({ ctx, args }) {
    const id = args.words[0];
    if (!id || args.words.length > 1) throw new UsageError('name one model id');
    const { db } = ctx.deps.database;
    const model = /^[0-9a-f-]{36}$/i.test(id) ? await getModel(db, id) : null;
    if (!model) return { ack: { text: `There is no model "${escapeText(id)}". \`/tuneloop runs\` lists the latest ones.` } };
    const { evaluation, created } = await requestEvaluation(db, ctx.deps.queue, model.id);
    return { ack: { text: created ? `Evaluation of \`${model.id}\` queued (\`${evaluation.id}\`); the run's message shows the result.` : `An evaluation of \`${model.id}\` is already ${evaluation.status} (\`${evaluation.id}\`).` } };
  },
};
