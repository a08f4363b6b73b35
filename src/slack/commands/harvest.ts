/** `/tuneloop harvest <connection>`: queues a harvest of the connection now. */
import { findConnection } from '../../connections/store.ts';
import { createRun } from '../../harvest/runs.ts';
import { escapeText } from '../context.ts';
import { UsageError, type SubCommand } from './command.ts';

export const harvestCommand: SubCommand = {
  name: 'harvest',
  role: 'operator',
  usage: '/tuneloop harvest <connection>',
  summary: 'harvest a connection now',
  async run({ ctx, args }) {
    const name = args.words[0];
    if (!name || args.words.length > 1) throw new UsageError('name one connection');
    const { db } = ctx.deps.database;
    const connection = await findConnection(db, name);
    if (!connection) return { ack: { text: `There is no connection "${escapeText(name)}". \`/tuneloop status\` lists them.` } };
    const { run, existing } = await createRun(db, connection.id, 'manual', ctx.deps.queue);
    return { ack: { text: existing ? `A harvest of *${escapeText(connection.name)}* is already ${run.status} (\`${run.id}\`).` : `Harvest of *${escapeText(connection.name)}* queued (\`${run.id}\`); \`/tuneloop status\` shows how it went.` } };
  },
};
