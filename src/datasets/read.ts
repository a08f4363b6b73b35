/**
 * Reads a dataset's conversations in batches, newest update first, from one consistent snapshot
 * (a read-only REPEATABLE READ transaction): a harvest writing meanwhile neither hides nor repeats
 * a conversation, and only one batch of conversations is in memory at a time.
 */
import { and, asc, desc, gte, inArray, lt, sql, type SQL } from 'drizzle-orm';
import type { Database } from '../db/client.ts';
import { complianceAlerts, conversations, drafts, messages } from '../db/schema/index.ts';
import type { ReviewedAlert, SourceConversation, SourceDraft, SourceMessage } from './types.ts';

const DECIDED = ['acknowledged', 'escalated', 'resolved', 'false_positive'];

export interface ReadFilter {
  connectionIds: string[];
  since: string | null;
  until: string | null;
  /**
   * Compliance: only conversations with alerts a person decided, and those decisions on their
   * messages (confirmed → violation, false positive → not). Open alerts are nobody's judgement yet.
   */
  reviewedAlerts?: boolean;
  /**
   * Preference: only conversations with a posted reply draft that feedback compared with the
   * agent's final reply, and those drafts.
   */
  draftFeedback?: boolean;
}

/** A draft with feedback on this conversation (drafts join conversations by connection and vendor id). */
const DRAFT_WITH_FEEDBACK = sql`${drafts.task} = 'reply' AND ${drafts.status} = 'posted' AND ${drafts.text} IS NOT NULL AND ${drafts.finalReply} IS NOT NULL AND ${drafts.similarity} IS NOT NULL`;

type Reader = Parameters<Parameters<Database['db']['transaction']>[0]>[0];

function fetchPage(tx: Reader, where: SQL | undefined, cursor: { at: string; id: number } | null, batchSize: number) {
  const after = cursor ? sql`(${conversations.sourceUpdatedAt}, ${conversations.id}) < (${cursor.at}::timestamptz, ${cursor.id})` : undefined;
  return tx
    .select({
      id: conversations.id,
      connectionId: conversations.connectionId,
      sourceId: conversations.sourceId,
      subject: conversations.subject,
      status: conversations.status,
      priority: conversations.priority,
      language: conversations.language,
      tags: conversations.tags,
      customFields: conversations.customFields,
      requester: conversations.requester,
      assignee: conversations.assignee,
      organizationId: conversations.organizationId,
      deleted: conversations.deleted,
      createdAt: conversations.sourceCreatedAt,
      updatedAt: conversations.sourceUpdatedAt,
      cursorAt: sql<string>`${conversations.sourceUpdatedAt}::text`,
    })
    .from(conversations)
    .where(and(where, after))
    .orderBy(desc(conversations.sourceUpdatedAt), desc(conversations.id))
    .limit(batchSize);
}

async function reviewedAlertsOf(tx: Reader, conversationIds: number[]): Promise<Map<number, ReviewedAlert[]>> {
  const rows = await tx
    .select({ messageId: complianceAlerts.messageId, policy: complianceAlerts.policyId, status: complianceAlerts.status })
    .from(complianceAlerts)
    .where(and(inArray(complianceAlerts.conversationId, conversationIds), inArray(complianceAlerts.status, DECIDED as Array<typeof complianceAlerts.$inferSelect.status>)))
    .orderBy(asc(complianceAlerts.createdAt), asc(complianceAlerts.id));
  const byMessage = new Map<number, ReviewedAlert[]>();
  for (const row of rows) {
    if (row.messageId === null) continue;
    let list = byMessage.get(row.messageId);
    if (!list) byMessage.set(row.messageId, (list = []));
    list.push({ policy: row.policy, label: row.status === 'false_positive' ? 'false_positive' : 'violation' });
  }
  return byMessage;
}

async function draftsOf(tx: Reader, rows: Array<{ id: number; connectionId: string; sourceId: string }>): Promise<Map<number, SourceDraft[]>> {
  const byKey = new Map(rows.map((row) => [`${row.connectionId}\0${row.sourceId}`, row.id]));
  const found = await tx
    .select({ id: drafts.id, connectionId: drafts.connectionId, sourceId: drafts.sourceId, text: drafts.text, similarity: drafts.similarity, postedAt: drafts.postedAt, createdAt: drafts.createdAt })
    .from(drafts)
    .where(and(inArray(drafts.connectionId, [...new Set(rows.map((row) => row.connectionId))]), inArray(drafts.sourceId, rows.map((row) => row.sourceId)), DRAFT_WITH_FEEDBACK))
    .orderBy(asc(drafts.createdAt), asc(drafts.id));
  const byConversation = new Map<number, SourceDraft[]>();
  for (const draft of found) {
    const conversationId = byKey.get(`${draft.connectionId}\0${draft.sourceId}`);
    if (conversationId === undefined || draft.text === null || draft.similarity === null) continue;
    let list = byConversation.get(conversationId);
    if (!list) byConversation.set(conversationId, (list = []));
    list.push({ id: draft.id, text: draft.text, similarity: draft.similarity, postedAt: draft.postedAt ?? draft.createdAt });
  }
  return byConversation;
}

export async function readConversations(
  database: Database,
  filter: ReadFilter,
  batchSize: number,
  onBatch: (batch: SourceConversation[], total: number) => Promise<void>,
): Promise<void> {
  if (filter.connectionIds.length === 0) return;
  await database.db.transaction(
    async (tx) => {
      const where = and(
        inArray(conversations.connectionId, filter.connectionIds),
        filter.since ? gte(conversations.sourceCreatedAt, new Date(filter.since)) : undefined,
        filter.until ? lt(conversations.sourceCreatedAt, new Date(filter.until)) : undefined,
        filter.reviewedAlerts
          ? sql`EXISTS (SELECT 1 FROM ${complianceAlerts} a WHERE a.conversation_id = ${conversations.id} AND a.status IN (${sql.join(DECIDED.map((status) => sql`${status}`), sql`, `)}))`
          : undefined,
        filter.draftFeedback
          ? sql`EXISTS (SELECT 1 FROM ${drafts} WHERE ${drafts.connectionId} = ${conversations.connectionId} AND ${drafts.sourceId} = ${conversations.sourceId} AND ${DRAFT_WITH_FEEDBACK})`
          : undefined,
      );
      const [counted] = await tx.select({ total: sql<number>`count(*)::int` }).from(conversations).where(where);
      const total = counted?.total ?? 0;
      // Keyset pagination on (updated, id); the timestamp travels as text to keep its microseconds.
      let cursor: { at: string; id: number } | null = null;
      for (;;) {
        const rows = await fetchPage(tx, where, cursor, batchSize);
        if (rows.length === 0) break;
        const ids = rows.map((row) => row.id);
        const messageRows = await tx
          .select({
            id: messages.id,
            conversationId: messages.conversationId,
            authorRole: messages.authorRole,
            author: messages.author,
            visibility: messages.visibility,
            body: messages.body,
            createdAt: messages.sourceCreatedAt,
          })
          .from(messages)
          .where(inArray(messages.conversationId, ids))
          .orderBy(asc(messages.conversationId), asc(messages.position));
        const reviewed = filter.reviewedAlerts ? await reviewedAlertsOf(tx, ids) : null;
        const drafted = filter.draftFeedback ? await draftsOf(tx, rows) : null;
        const byConversation = new Map<number, SourceMessage[]>();
        for (const { conversationId, ...message } of messageRows) {
          let list = byConversation.get(conversationId);
          if (!list) byConversation.set(conversationId, (list = []));
          list.push(reviewed ? { ...message, reviewedAlerts: reviewed.get(message.id) ?? [] } : message);
        }
        await onBatch(
          rows.map(({ cursorAt: _cursor, ...row }) => ({ ...row, messages: byConversation.get(row.id) ?? [], ...(drafted ? { drafts: drafted.get(row.id) ?? [] } : {}) })),
          total,
        );
        const last = rows[rows.length - 1];
        if (!last) break;
        cursor = { at: last.cursorAt, id: last.id };
        if (rows.length < batchSize) break;
      }
    },
    { isolationLevel: 'repeatable read', accessMode: 'read only' },
  );
}
