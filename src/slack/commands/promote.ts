/**
 * `/tuneloop promote <model> [--force --reason "…"]` and `/tuneloop rollback <task>`: the registry's
 * switches, through the same gate as the API; a blocked candidate needs --force and a reason.
 */
import { promote, rollback } from '../../models/registry/promotion.ts';
import { RegistryError } from '../../models/registry/registry.ts';
import { escapeText } from '../context.ts';
import { UsageError, type SubCommand } from './command.ts';

export const promoteCommand: SubCommand = {
  name: 'promote',
  role: 'operator',
  usage: '/tuneloop promote <model id> [--force --reason "why"]',
  summary: 'make a candidate the production model (the promotion gate decides)',
  async run({ ctx, args, actor }) {
    const id = args.words[0];
    if (!id || args.words.length > 1) throw new UsageError('name one model id');
    const force = args.flags.get('force') === true;
    const reason = args.flags.get('reason');
    if (force && typeof reason !== 'string') throw new UsageError('a forced promotion needs --reason "why"');
    try {
      const result = await promote(ctx.deps.database.db, id, { actor, force, ...(typeof reason === 'string' ? { reason } : {}), tolerances: ctx.deps.config, queue: ctx.deps.queue });
      return { ack: { text: `:rocket: \`${result.model.id}\` is now in production for *${result.model.task}*${result.previous ? ` (replacing \`${result.previous.id}\`)` : ''}${result.forced ? ', forced past the gate' : ''}.`, inChannel: true } };
    } catch (error) {
      if (!(error instanceof RegistryError)) throw error;
      const hint = error.code === 'gate_blocked' ? ' To promote anyway: add `--force --reason "why"` (it is audited).' : '';
      return { ack: { text: `Not promoted: ${escapeText(error.message)}.${hint}` } };
    }
  },
};

export const rollbackCommand: SubCommand = {
  name: 'rollback',
  role: 'operator',
  usage: '/tuneloop rollback <task> [--reason "why"]',
  summary: 'put the previous production model of a task back',
  async run({ ctx, args, actor }) {
    const task = args.words[0];
    if (!task || args.words.length > 1) throw new UsageError('name one task, e.g. reply');
    const reason = args.flags.get('reason');
    try {
      const result = await rollback(ctx.deps.database.db, task, { actor, ...(typeof reason === 'string' ? { reason } : {}), queue: ctx.deps.queue });
      return { ack: { text: `:rewind: *${escapeText(task)}* is back on \`${result.model.id}\`${result.previous ? ` (\`${result.previous.id}\` archived)` : ''}.`, inChannel: true } };
    } catch (error) {
      if (!(error instanceof RegistryError)) throw error;
      return { ack: { text: `Nothing rolled back: ${escapeText(error.message)}.` } };
    }
  },
};
