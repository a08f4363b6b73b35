/**
 * Scans one document's extracted text with the rule policies, like a message: an attachment is
 * judged as its message would be (the message's author and visibility pick the policies in scope),
 * an upload by the direction it was given. Each piece of evidence also names its page and the
 * offset within the page. One alert per (document, policy), however often the job runs.
 */
import { and, eq, inArray, isNull, sql } from 'drizzle-orm';
import type { Tx } from '../../db/client.ts';
import type { Database } from '../../db/client.ts';
import { documents, documentScans, messages } from '../../db/schema/index.ts';
import type { Logger } from '../../log.ts';
import type { Queue } from '../../queue/queue.ts';
import { pageAt } from '../../harvest/documents/types.ts';
import { raiseDocumentAlerts, type Alert } from './alerts/alerts.ts';
import type { PolicySet } from './policies/policies.ts';
import type { MessageToScan } from './policies/detectors.ts';

export interface DocumentScanResult {
  raised: Alert[];
  scanned: boolean;
}

/** Uploads say which way they travel; `outbound` (sent to customers) is judged as an agent's public reply. */
export function uploadAuthor(direction: 'inbound' | 'outbound'): Pick<MessageToScan, 'authorRole' | 'visibility'> {
  return direction === 'inbound' ? { authorRole: 'customer', visibility: 'public' } : { authorRole: 'agent', visibility: 'public' };
}

export async function scanDocument(database: Database, queue: Queue | null, policies: PolicySet, documentId: number, log: Logger): Promise<DocumentScanResult> {
  const [row] = await database.db
    .select({ document: documents, authorRole: messages.authorRole, visibility: messages.visibility })
    .from(documents)
    .leftJoin(messages, eq(messages.id, documents.messageId))
    .where(eq(documents.id, documentId));
  if (!row || row.document.status !== 'text') return { raised: [], scanned: false };
  const { document } = row;
  const author = row.authorRole && row.visibility ? { authorRole: row.authorRole, visibility: row.visibility } : uploadAuthor(document.direction ?? 'outbound');
  const { findings, errors } = policies.scan({ ...author, body: document.text });
  for (const error of errors) log.warn({ documentId, policyId: error.policyId, reason: error.error }, 'compliance policy failed on a document; its other policies still ran');
  const located = findings.map((finding) => ({
    ...finding,
    evidence: finding.evidence.map((span) => ({ ...span, ...(pageAt(document.pages, span.start) ?? {}) })),
  }));
  const raised = await database.db.transaction(async (tx) => {
    const alerts = await raiseDocumentAlerts(tx, queue, { id: document.id, conversationId: document.conversationId }, located);
    await tx
      .insert(documentScans)
      .values({ documentId, policiesHash: policies.hash })
      .onConflictDoUpdate({ target: documentScans.documentId, set: { policiesHash: sql`excluded.policies_hash`, scannedAt: sql`now()` } });
    return alerts;
  });
  return { raised, scanned: true };
}

/**
 * The harvest hook for attachments: a `compliance.scan-document` job for every document with text
 * of these conversations never scanned, in the batch's transaction.
 */
export async function enqueueDocumentScans(tx: Tx, queue: Queue, conversationIds: readonly number[]): Promise<number> {
  if (!conversationIds.length) return 0;
  const rows = await tx
    .select({ id: documents.id })
    .from(documents)
    .leftJoin(documentScans, eq(documentScans.documentId, documents.id))
    .where(and(inArray(documents.conversationId, [...conversationIds]), eq(documents.status, 'text'), isNull(documentScans.documentId)));
  if (!rows.length) return 0;
  await queue.sendMany('compliance.scan-document', rows.map((row) => ({ payload: { documentId: row.id } })), { tx });
  return rows.length;
}
