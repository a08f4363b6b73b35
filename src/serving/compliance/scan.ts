/**
 * Scanning messages against the policies: one message (the `compliance.scan` job), the backlog of
 * a connection (the CLI), and the hook a harvest calls to enqueue scans for what it stored.
 * A scan records the message's body hash and the policy set's hash, so only new or changed
 * messages (or all of them after a policy change) are scanned again.
 */
import { createHash } from 'node:crypto';
import { and, asc, eq, gt, inArray, isNull, ne, or, sql } from 'drizzle-orm';
import type { Database, Tx } from '../../db/client.ts';
import { complianceScans, conversations, messages } from '../../db/schema/index.ts';
import type { Logger } from '../../log.ts';
import type { Queue } from '../../queue/queue.ts';
import { ModelUnavailableError } from '../../models/inference/client.ts';
import { raiseAlerts, type Alert } from './alerts/alerts.ts';
import type { ComplianceModelCheck, ModelFinding } from './model-check.ts';
import type { PolicySet } from './policies/policies.ts';
import type { ClassifierStage } from './classifier-stage.ts';

/** Postgres's md5(body) gives the same hex, so the enqueue query can compare in SQL. */
export const bodyHash = (body: string) => createHash('md5').update(body, 'utf8').digest('hex');

export interface ScanResult {
  /** Alerts this scan created (a rescan of the same message creates none). */
  raised: Alert[];
  /** Policies that failed on this message (e.g. a regex over its time budget). */
  errors: Array<{ policyId: string; error: string }>;
  scanned: boolean;
}

/**
 * Scans one message with the rule policies and, when given, the compliance model. The rules never
 * wait on the model: when it is unavailable their alerts are stored anyway and the error is thrown
 * afterwards, so the job is retried for the model's opinion alone (the rules' alerts are unique
 * per message and policy, a rerun adds none).
 */
export async function scanMessage(database: Database, queue: Queue | null, policies: PolicySet, messageId: number, log: Logger, model?: ComplianceModelCheck, stage?: ClassifierStage): Promise<ScanResult> {
  const [message] = await database.db
    .select({ id: messages.id, conversationId: messages.conversationId, authorRole: messages.authorRole, visibility: messages.visibility, body: messages.body })
    .from(messages)
    .where(eq(messages.id, messageId));
  if (!message) return { raised: [], errors: [], scanned: false }; // deleted since it was enqueued
  const { findings, errors } = policies.scan(message);
  for (const error of errors) log.warn({ messageId, policyId: error.policyId, reason: error.error }, 'compliance policy failed on a message; its other policies still ran');
  let modelFindings: ModelFinding[] = [];
  let modelDown: ModelUnavailableError | null = null;
  if (model) {
    try {
      modelFindings = await model(message);
    } catch (error) {
      if (!(error instanceof ModelUnavailableError)) throw error;
      modelDown = error;
    }
  }
  // A policy both found (rules and model) is one alert: the rules' evidence is the precise one.
  const ruled = new Set(findings.map((finding) => finding.policy.id));
  const found = [...findings, ...modelFindings.filter((finding) => !ruled.has(finding.policy.id))];
  // A policy with a promoted classifier keeps only the findings its classifier confirms.
  const all = stage ? (await stage(message, found)).kept : found;
  const raised = await database.db.transaction(async (tx) => {
    const alerts = await raiseAlerts(tx, queue, message, all);
    await tx
      .insert(complianceScans)
      .values({ messageId, bodyHash: bodyHash(message.body), policiesHash: policies.hash })
      .onConflictDoUpdate({ target: complianceScans.messageId, set: { bodyHash: sql`excluded.body_hash`, policiesHash: sql`excluded.policies_hash`, scannedAt: sql`now()` } });
    return alerts;
  });
  if (modelDown) throw modelDown;
  return { raised, errors, scanned: true };
}

/** Messages of these conversations never scanned, or changed since their last scan. */
function needsScan(policiesHash?: string) {
  return or(isNull(complianceScans.messageId), ne(complianceScans.bodyHash, sql`md5(${messages.body})`), ...(policiesHash ? [ne(complianceScans.policiesHash, policiesHash)] : []));
}

/**
 * The harvest hook: enqueues a `compliance.scan` job for every new or changed message of the given
 * conversations, in the caller's transaction (a rolled-back batch enqueues nothing). Call it right
 * after the batch's messages are upserted. Returns how many jobs were sent.
 */
export async function enqueueScansForConversations(tx: Tx, queue: Queue, conversationIds: readonly number[]): Promise<number> {
  if (!conversationIds.length) return 0;
  const rows = await tx
    .select({ id: messages.id })
    .from(messages)
    .leftJoin(complianceScans, eq(complianceScans.messageId, messages.id))
    .where(and(inArray(messages.conversationId, [...conversationIds]), needsScan()));
  if (!rows.length) return 0;
  // One INSERT for the whole batch instead of a send() per message.
  await queue.sendMany('compliance.scan', rows.map((row) => ({ payload: { messageId: row.id } })), { tx });
  return rows.length;
}

export interface BacklogOptions {
  connectionId?: string | undefined;
  /** Messages per page; each page's messages are scanned one by one. */
  pageSize?: number;
  onProgress?: (progress: { scanned: number; total: number; raised: number }) => void;
  signal?: AbortSignal;
  /** The classifier stage (classifier-stage.ts): promoted policy classifiers drop the findings they judge false positives. */
  stage?: ClassifierStage;
}

/**
 * Scans every message that needs it (unscanned, changed, or scanned under other policies), in id
 * order, a page at a time: the page is scanned in memory and its alerts and scan records are
 * written in one transaction (one round trip per message would bound it to ~160 messages/s).
 */
export async function scanBacklog(database: Database, queue: Queue | null, policies: PolicySet, log: Logger, options: BacklogOptions = {}): Promise<{ scanned: number; raised: Alert[] }> {
  const scope = and(options.connectionId ? eq(conversations.connectionId, options.connectionId) : undefined, needsScan(policies.hash));
  const [count] = await database.db
    .select({ total: sql<number>`count(*)::int` })
    .from(messages)
    .innerJoin(conversations, eq(conversations.id, messages.conversationId))
    .leftJoin(complianceScans, eq(complianceScans.messageId, messages.id))
    .where(scope);
  const total = count?.total ?? 0;
  const raised: Alert[] = [];
  let scanned = 0;
  let after = 0;
  options.onProgress?.({ scanned, total, raised: 0 });
  for (;;) {
    options.signal?.throwIfAborted();
    const page = await database.db
      .select({ id: messages.id, conversationId: messages.conversationId, authorRole: messages.authorRole, visibility: messages.visibility, body: messages.body })
      .from(messages)
      .innerJoin(conversations, eq(conversations.id, messages.conversationId))
      .leftJoin(complianceScans, eq(complianceScans.messageId, messages.id))
      .where(and(scope, gt(messages.id, after)))
      .orderBy(asc(messages.id))
      .limit(options.pageSize ?? 500);
    if (!page.length) break;
    const results: Array<{ message: (typeof page)[number] } & ReturnType<PolicySet['scan']>> = [];
    for (const message of page) {
      const { findings, errors } = policies.scan(message);
      results.push({ message, errors, findings: options.stage && findings.length ? (await options.stage(message, findings)).kept : findings });
    }
    for (const { message, errors } of results) for (const error of errors) log.warn({ messageId: message.id, policyId: error.policyId, reason: error.error }, 'compliance policy failed on a message; its other policies still ran');
    await database.db.transaction(async (tx) => {
      for (const { message, findings } of results) if (findings.length) raised.push(...(await raiseAlerts(tx, queue, message, findings)));
      await tx
        .insert(complianceScans)
        .values(page.map((message) => ({ messageId: message.id, bodyHash: bodyHash(message.body), policiesHash: policies.hash })))
        .onConflictDoUpdate({ target: complianceScans.messageId, set: { bodyHash: sql`excluded.body_hash`, policiesHash: sql`excluded.policies_hash`, scannedAt: sql`now()` } });
    });
    scanned += page.length;
    after = page[page.length - 1]?.id ?? after;
    options.onProgress?.({ scanned, total: Math.max(total, scanned), raised: raised.length });
  }
  return { scanned, raised };
}
