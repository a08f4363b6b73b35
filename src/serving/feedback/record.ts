/**
 * Feedback on a posted draft once its ticket is solved: the agent's final public reply (the last
 * public agent message after the draft was posted) is compared with the draft (chrF, 0..1), and
 * the draft counts as accepted at or above DRAFT_ACCEPT_SIMILARITY. Stored once per draft; a
 * solved ticket without an agent reply after the draft gets feedback_at with no verdict.
 */
import { and, asc, eq, gte, inArray, isNotNull, isNull, sql } from 'drizzle-orm';
import type { Tx } from '../../db/client.ts';
import { conversations, drafts, messages } from '../../db/schema/index.ts';
import { draftAcceptance, draftFeedback } from '../drafts/metrics.ts';
import { chrF } from './similarity.ts';

/** Conversation statuses that close a ticket, lowercased (Zendesk solved/closed, Salesforce Closed). */
export const RESOLVED_STATUSES = ['solved', 'closed', 'resolved'];

export interface FeedbackResult {
  draftId: string;
  similarity: number | null;
  accepted: boolean | null;
}

/** Computes and stores the feedback of one posted reply draft; null when it is not due (open ticket, already done). */
export async function recordFeedback(tx: Tx, draftId: string, threshold: number): Promise<FeedbackResult | null> {
  const [row] = await tx
    .select({ draft: drafts, conversationId: conversations.id, status: conversations.status })
    .from(drafts)
    .innerJoin(conversations, and(eq(conversations.connectionId, drafts.connectionId), eq(conversations.sourceId, drafts.sourceId)))
    .where(and(eq(drafts.id, draftId), eq(drafts.task, 'reply'), eq(drafts.status, 'posted'), isNull(drafts.feedbackAt)))
    .for('update', { of: drafts });
  if (!row || !RESOLVED_STATUSES.includes((row.status ?? '').toLowerCase()) || row.draft.text === null) return null;

  // Vendors give message times in whole seconds (Zendesk's created_at): a reply sent within the
  // second the draft was posted would otherwise look older than the draft.
  const after = new Date(Math.floor((row.draft.postedAt ?? row.draft.createdAt).getTime() / 1000) * 1000);
  const replies = await tx
    .select({ body: messages.body })
    .from(messages)
    .where(and(eq(messages.conversationId, row.conversationId), eq(messages.authorRole, 'agent'), eq(messages.visibility, 'public'), gte(messages.sourceCreatedAt, after)))
    .orderBy(asc(messages.sourceCreatedAt), asc(messages.position));
  const finalReply = replies.at(-1)?.body ?? null;
  const similarity = finalReply === null ? null : chrF(row.draft.text, finalReply);
  const accepted = similarity === null ? null : similarity >= threshold;
  await tx.update(drafts).set({ finalReply, similarity, accepted, feedbackAt: new Date() }).where(eq(drafts.id, draftId));

  const model = row.draft.modelId ?? 'none';
  if (accepted !== null) {
    draftFeedback.inc({ model, accepted: String(accepted) });
    if (row.draft.modelId) await refreshAcceptanceGauge(tx, row.draft.modelId);
  }
  return { draftId, similarity, accepted };
}

async function refreshAcceptanceGauge(tx: Tx, modelId: string): Promise<void> {
  const [stats] = await tx
    .select({ judged: sql<number>`count(*)::int`, accepted: sql<number>`count(*) FILTER (WHERE ${drafts.accepted})::int` })
    .from(drafts)
    .where(and(eq(drafts.modelId, modelId), isNotNull(drafts.accepted)));
  if (stats?.judged) draftAcceptance.set({ model: modelId }, stats.accepted / stats.judged);
}

/** Posted reply drafts of these conversations that are resolved and still wait for feedback. */
export async function draftsDueForFeedback(tx: Tx, conversationIds: number[]): Promise<string[]> {
  if (!conversationIds.length) return [];
  const rows = await tx
    .select({ id: drafts.id })
    .from(drafts)
    .innerJoin(conversations, and(eq(conversations.connectionId, drafts.connectionId), eq(conversations.sourceId, drafts.sourceId)))
    .where(
      and(
        inArray(conversations.id, conversationIds),
        eq(drafts.task, 'reply'),
        eq(drafts.status, 'posted'),
        isNull(drafts.feedbackAt),
        sql`lower(${conversations.status}) IN ('solved', 'closed', 'resolved')`,
      ),
    );
  return rows.map((row) => row.id);
}
