/**
 * One write-back attempt for a ticket and task (a draft reply or a triage), the part both share:
 * the connection, the ticket's advisory lock (so a webhook job and a batch job for one ticket run
 * one after the other), a posted row that ends it at once, and vendors or tickets that take no
 * write-back recorded as skipped. The task's own steps run in `body`, inside the lock's transaction,
 * and record their outcome; an outcome with `retry` is thrown after the commit, so the row says why
 * meanwhile and pg-boss tries again later.
 */
import { eq, sql } from 'drizzle-orm';
import { VendorError, type WriteBack } from '../../../integrations/types.ts';
import type { Config } from '../../config.ts';
import type { Database, Tx } from '../../db/client.ts';
import { connections, type DraftTask } from '../../db/schema/index.ts';
import type { Logger } from '../../log.ts';
import type { InferenceClient } from '../../models/inference/client.ts';
import type { Queue } from '../../queue/queue.ts';
import { DecryptionError, type Keyring } from '../../security/encryption.ts';
import { ticketKey, writeBackFor } from '../writeback.ts';
import { findDraft, recordDraft, type DraftOutcome, type DraftRow } from './record.ts';

export interface WriteBackDeps {
  database: Database;
  keyring: Keyring;
  log: Logger;
  config: Config;
  inference: InferenceClient;
  /** For the compliance scans of the fetched ticket's new messages; none in some tests. */
  queue?: Queue | null;
  /** Tests shorten the vendor backoff. */
  retryPolicy?: { maxAttempts?: number; baseDelayMs?: number; maxDelayMs?: number };
}

export interface TicketJob {
  connectionId: string;
  sourceId: string;
}

export type AttemptResult = { row: DraftRow; retry: Error | null };

type Connection = typeof connections.$inferSelect;
type Outcome = Omit<DraftOutcome, 'connectionId' | 'source' | 'sourceId' | 'task'>;

export interface AttemptContext {
  tx: Tx;
  connection: Connection;
  writeBack: WriteBack;
  /** The registry's key of the ticket (its A/B arm). */
  ticketKey: string;
  existing: DraftRow | null;
  record(outcome: Outcome, retry?: Error | null): Promise<AttemptResult>;
}

/** Vendor failures a retry cannot fix: recorded, and the job ends. Others go back to pg-boss. */
export function isFinalVendorError(error: unknown): error is VendorError {
  return error instanceof VendorError && !error.retryable;
}

/** Runs `attempt` under the ticket's advisory lock (transaction-scoped); a thrown error rolls it back. */
export async function underTicketLock<T>(database: Database, key: string, attempt: (tx: Tx) => Promise<T>): Promise<T> {
  return database.db.transaction(async (tx) => {
    await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtext(${`writeback:${key}`}))`);
    return attempt(tx);
  });
}

export async function writeBackAttempt(deps: WriteBackDeps, job: TicketJob, task: DraftTask, body: (context: AttemptContext) => Promise<AttemptResult>): Promise<DraftRow | null> {
  const { database, log } = deps;
  const what = task === 'reply' ? 'draft' : 'triage';
  const [connection] = await database.db.select().from(connections).where(eq(connections.id, job.connectionId));
  if (!connection) {
    log.warn({ connectionId: job.connectionId }, `${what} for a connection that no longer exists: nothing to do`);
    return null;
  }
  const base = { connectionId: connection.id, source: connection.vendor, sourceId: job.sourceId, task };
  const key = ticketKey(connection.id, job.sourceId);

  const result = await underTicketLock(database, `${key}:${task}`, async (tx): Promise<AttemptResult> => {
    const record = async (outcome: Outcome, retry: Error | null = null) => ({ row: await recordDraft(tx, { ...base, ...outcome }), retry });
    const existing = await findDraft(tx, connection.id, job.sourceId, task);
    if (existing?.status === 'posted') return { row: existing, retry: null };
    let writeBack: WriteBack | null;
    try {
      writeBack = writeBackFor(database.db, deps.keyring, connection, { log, ...(deps.retryPolicy ? { retryPolicy: deps.retryPolicy } : {}) });
    } catch (error) {
      // No retry can help: the key that sealed the credentials is not configured, or they were altered.
      if (error instanceof DecryptionError) return record({ status: 'failed', reason: `the connection's credentials cannot be decrypted: ${error.message}` });
      throw error;
    }
    if (!writeBack) return record({ status: 'skipped', reason: `${connection.vendor} takes no ${task === 'reply' ? 'drafts' : 'triage'}` });
    const unsupported = writeBack.unsupported(job.sourceId, task);
    if (unsupported) return record({ status: 'skipped', reason: unsupported });
    return body({ tx, connection, writeBack, ticketKey: key, existing: existing ?? null, record });
  });

  if (result.retry) throw result.retry;
  log.info({ connectionId: connection.id, sourceId: job.sourceId, status: result.row.status, modelId: result.row.modelId }, `${what} attempt recorded`);
  return result.row;
}
