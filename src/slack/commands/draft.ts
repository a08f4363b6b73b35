/**
 * `/tuneloop draft <ticket id | text>`: what the production reply model would draft for a stored
 * ticket (by its vendor id) or for a customer message typed here, with the resolved conversations
 * retrieval found for it, shown only to the person who asked. The model's answer takes longer than
 * Slack's three seconds, so a `slack.draft` job answers at the command's response_url.
 */
import { desc, eq } from 'drizzle-orm';
import { conversations } from '../../db/schema/index.ts';
import { UsageError, type SubCommand } from './command.ts';

/** A vendor ticket id: digits, a Salesforce id, HubSpot's `ticket:123`, Slack's `C123:1700000000.000100`. */
const TICKET_ID = /^[\w.:-]{1,200}$/;

export const draftCommand: SubCommand = {
  name: 'draft',
  role: 'operator',
  usage: '/tuneloop draft <ticket id | customer message>',
  summary: 'what the reply model would draft, with its retrieved sources (only you see it)',
  async run({ ctx, input, args }) {
    const rest = input.text.replace(/^\s*draft\s*/i, '').trim();
    if (!rest) throw new UsageError('give a ticket id or a customer message');
    const { db } = ctx.deps.database;
    let target: { conversationId: number } | { text: string } = { text: rest.slice(0, 4000) };
    if (args.words.length === 1 && TICKET_ID.test(rest)) {
      const [found] = await db.select({ id: conversations.id }).from(conversations).where(eq(conversations.sourceId, rest)).orderBy(desc(conversations.harvestedAt)).limit(1);
      if (found) target = { conversationId: Number(found.id) };
    }
    await ctx.deps.queue.send('slack.draft', { responseUrl: input.responseUrl, userId: input.userId, ...target });
    return { ack: { text: 'conversationId' in target ? `:pencil: Drafting a reply to ticket ${rest}…` : ':pencil: Drafting a reply to that message…' } };
  },
};
