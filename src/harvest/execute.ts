/**
 * Executes one harvest run: pulls batches from the vendor connector and stores each batch with its
 * cursor in one transaction. Only one run per connection executes at a time (advisory lock).
 * Permanent vendor errors fail the run with the vendor's reason and keep the cursor; transient ones
 * are rethrown so the queue retries, and the retry resumes from the last stored batch.
 */
import { and, eq, sql } from 'drizzle-orm';
import { VendorError } from '../../integrations/types.ts';
import { findConnection, connectorFor } from '../connections/store.ts';
import type { Database } from '../db/client.ts';
import { openLockSession } from '../db/lock-session.ts';
import { harvestRuns } from '../db/schema/index.ts';
import type { Logger } from '../log.ts';
import { DecryptionError, type Keyring } from '../security/encryption.ts';
import { harvestConversations, harvestErrors, harvestMessages, harvestRunsFinished } from './metrics.ts';
import { prefetchOne } from './prefetch.ts';
import { getRun, isTerminal, type HarvestRun } from './runs.ts';
import { storeBatch } from './store-batch.ts';
import type { OnBatchStored } from './stored.ts';

export interface HarvestDeps {
  database: Database;
  keyring: Keyring;
  log: Logger;
  batchSize: number;
  /** Hears of each stored batch in its transaction (the compliance scan, drafts, feedback: stored.ts). */
  onStored?: OnBatchStored | null;
}

export interface ExecuteOptions {
  /** Aborted when the process shuts down: the run is left queued and resumes later. */
  signal?: AbortSignal;
  /** No retry follows: a transient failure fails the run instead of being rethrown. */
  lastAttempt: boolean;
  /** How often a cancel request is looked for while a batch is in flight. */
  pollMs?: number;
}

class Cancelled extends Error {}

async function finish(database: Database, runId: string, status: HarvestRun['status'], error: string | null): Promise<void> {
  await database.db
    .update(harvestRuns)
    .set({ status, error, finishedAt: status === 'queued' ? null : new Date(), heartbeatAt: new Date() })
    .where(eq(harvestRuns.id, runId));
}

/** The message stored on the run and shown to people: the vendor's reason, never a stack or secret. */
function describe(error: unknown): string {
  if (error instanceof VendorError || error instanceof DecryptionError) return error.message;
  return error instanceof Error ? error.message : String(error);
}

async function backfillDone(database: Database, connectionId: string): Promise<boolean> {
  const [row] = await database.db.select({ id: harvestRuns.id }).from(harvestRuns).where(and(eq(harvestRuns.connectionId, connectionId), eq(harvestRuns.status, 'succeeded'))).limit(1);
  return Boolean(row);
}

export async function executeRun(deps: HarvestDeps, runId: string, options: ExecuteOptions): Promise<HarvestRun | null> {
  const { database, log } = deps;
  const initial = await getRun(database.db, runId);
  if (!initial || isTerminal(initial.status)) return initial;
  if (initial.cancelRequestedAt) {
    await finish(database, runId, 'cancelled', null);
    return getRun(database.db, runId);
  }

  // Its own connection, not one of the pool's, for the whole run (src/db/lock-session.ts).
  const lock = await openLockSession(database, (error) => log.warn({ err: error }, 'harvest lock connection lost'));
  const poll = { timer: undefined as NodeJS.Timeout | undefined };
  try {
    if (!(await lock.tryLock(`harvest:${initial.connectionId}`))) throw new Error('another harvest of this connection is running; this one will retry');

    const connection = await findConnection(database.db, initial.connectionId);
    if (!connection) return null; // deleted meanwhile: its runs are gone with it
    await database.db
      .update(harvestRuns)
      .set({
        status: 'running',
        attempts: sql`${harvestRuns.attempts} + 1`,
        startedAt: sql`coalesce(${harvestRuns.startedAt}, now())`,
        heartbeatAt: new Date(),
        cursorStart: sql`coalesce(${harvestRuns.cursorStart}, ${JSON.stringify(connection.cursor)}::jsonb)`,
        error: null,
      })
      .where(eq(harvestRuns.id, runId));

    const abort = new AbortController();
    const onShutdown = () => abort.abort(options.signal?.reason);
    options.signal?.addEventListener('abort', onShutdown, { once: true });
    // A cancel request or a shutdown stops the run between two vendor requests, not after the batch.
    poll.timer = setInterval(() => {
      database.db
        .update(harvestRuns)
        .set({ heartbeatAt: new Date() })
        .where(eq(harvestRuns.id, runId))
        .returning({ cancelRequestedAt: harvestRuns.cancelRequestedAt })
        .then(([row]) => row?.cancelRequestedAt && abort.abort(new Cancelled()))
        .catch(() => undefined);
    }, options.pollMs ?? 2_000);

    const runLog = log.child({ harvestId: runId, connection: connection.name, vendor: connection.vendor });
    const labels = { connection: connection.name, vendor: connection.vendor };
    const ended = (outcome: 'succeeded' | 'failed' | 'cancelled' | 'retrying' | 'interrupted') => harvestRunsFinished.inc({ ...labels, outcome });
    try {
      const connector = connectorFor(database.db, deps.keyring, connection, { batchSize: deps.batchSize, log: runLog });
      // Only a harvest after a completed one brings tickets someone waits for; until the first one
      // has finished (even when it resumes after a crash) it is the backfill of history.
      const store = { incremental: await backfillDone(database, connection.id) };
      for await (const batch of prefetchOne(connector.harvest(connection.cursor, { signal: abort.signal, log: runLog }))) {
        const stored = await database.db.transaction((tx) => storeBatch(tx, connection.id, runId, batch, deps.onStored ?? null, store));
        runLog.debug(stored, 'batch stored');
        harvestConversations.inc(labels, stored.seen);
        harvestMessages.inc(labels, stored.messages);
        const [row] = await database.db.select({ cancel: harvestRuns.cancelRequestedAt }).from(harvestRuns).where(eq(harvestRuns.id, runId));
        if (row?.cancel) throw new Cancelled();
        if (abort.signal.aborted) throw abort.signal.reason;
      }
      await finish(database, runId, 'succeeded', null);
      ended('succeeded');
      runLog.info('harvest finished');
    } catch (error) {
      if (error instanceof Cancelled || abort.signal.reason instanceof Cancelled) {
        await finish(database, runId, 'cancelled', null);
        ended('cancelled');
        runLog.info('harvest cancelled; the next run resumes from the last stored batch');
      } else if (options.signal?.aborted) {
        await finish(database, runId, 'queued', 'interrupted by shutdown; resumes from the last stored batch');
        ended('interrupted');
        throw error;
      } else if ((error instanceof VendorError && !error.retryable) || error instanceof DecryptionError || options.lastAttempt) {
        await finish(database, runId, 'failed', describe(error));
        ended('failed');
        harvestErrors.inc(labels);
        runLog.warn({ reason: describe(error) }, 'harvest failed');
      } else {
        await finish(database, runId, 'queued', `retrying after: ${describe(error)}`);
        ended('retrying');
        harvestErrors.inc(labels);
        throw error;
      }
    } finally {
      options.signal?.removeEventListener('abort', onShutdown);
    }
    return getRun(database.db, runId);
  } finally {
    clearInterval(poll.timer);
    await lock.close();
  }
}
