/**
 * The learning loop's test data: reply drafts "posted" on harvested sandbox tickets just before the
 * agent's reply, then compared with that reply by the real feedback step (recordFeedback), as the
 * `draft.feedback` job does once a ticket is solved. Every other draft the agent sends as it was;
 * the rest the agent rewrote.
 */
import { and, asc, eq, inArray } from 'drizzle-orm';
import type { Database } from '../../src/db/client.ts';
import { conversations, drafts, messages } from '../../src/db/schema/index.ts';
import { recordFeedback } from '../../src/serving/feedback/record.ts';

/** Far from any reply the sandbox's agents write: chrF well below the 0.5 default. */
export const REWRITTEN_DRAFT = 'Thank you for reaching out. Our team will get back to you shortly with more information.';

export interface PostedDrafts {
  kept: Set<string>;
  rewritten: Set<string>;
}

/** One draft per solved ticket with exactly one public agent reply; `keepEvery`: every n-th is sent unchanged. */
export async function postDraftsWithFeedback(database: Database, connectionId: string, options: { keepEvery?: number; threshold?: number } = {}): Promise<PostedDrafts> {
  const { db } = database;
  const keepEvery = options.keepEvery ?? 2;
  const solved = await db.select().from(conversations).where(and(eq(conversations.connectionId, connectionId), inArray(conversations.status, ['solved', 'closed'])));
  const out: PostedDrafts = { kept: new Set(), rewritten: new Set() };
  let n = 0;
  for (const conversation of solved) {
    const replies = await db
      .select()
      .from(messages)
      .where(and(eq(messages.conversationId, conversation.id), eq(messages.authorRole, 'agent'), eq(messages.visibility, 'public')))
      .orderBy(asc(messages.position));
    const last = replies.at(-1);
    if (!last || replies.length > 1) continue;
    const keep = n++ % keepEvery === 0;
    const postedAt = new Date(last.sourceCreatedAt.getTime() - 60_000);
    const [draft] = await db
      .insert(drafts)
      .values({ connectionId, source: conversation.source, sourceId: conversation.sourceId, task: 'reply', status: 'posted', text: keep ? last.body : REWRITTEN_DRAFT, postedAt, createdAt: postedAt })
      .returning();
    const feedback = await db.transaction((tx) => recordFeedback(tx, draft!.id, options.threshold ?? 0.5));
    if (feedback?.accepted !== keep) throw new Error(`draft ${draft!.id}: feedback ${JSON.stringify(feedback)}, expected accepted=${keep}`);
    (keep ? out.kept : out.rewritten).add(draft!.id);
  }
  return out;
}
