/**
 * Harvest runs: create (one active run per connection), read, cancel. A run is executed by the
 * `harvest.run` job (execute.ts), or in-process by the CLI.
 */
import { and, desc, eq, inArray, sql } from 'drizzle-orm';
import type { Tx } from '../db/client.ts';
import { harvestRuns, type HarvestStatus } from '../db/schema/index.ts';
import type { Queue } from '../queue/queue.ts';
import { afterRow } from '../db/keyset.ts';

export type HarvestRun = typeof harvestRuns.$inferSelect;

const ACTIVE: HarvestStatus[] = ['queued', 'running'];
/** A running run whose heartbeat is older than this was left by a crashed process. */
export const STALE_AFTER_MS = 2 * 60_000;

export async function activeRun(db: Tx, connectionId: string): Promise<HarvestRun | null> {
  const [run] = await db
    .select()
    .from(harvestRuns)
    .where(and(eq(harvestRuns.connectionId, connectionId), inArray(harvestRuns.status, ACTIVE)))
    .orderBy(desc(harvestRuns.createdAt))
    .limit(1);
  return run ?? null;
}

/**
 * Creates a run unless one is already active for the connection (that one is returned instead).
 * With a queue, the job is sent in the same transaction; without, the caller executes it itself.
 */
export async function createRun(
  db: Tx,
  connectionId: string,
  trigger: HarvestRun['trigger'],
  queue: Queue | null,
): Promise<{ run: HarvestRun; existing: boolean }> {
  return db.transaction(async (tx) => {
    // Serialises concurrent "start" calls for one connection.
    await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtext(${`harvest-create:${connectionId}`}))`);
    await failStaleRuns(tx, connectionId);
    const existing = await activeRun(tx, connectionId);
    if (existing) return { run: existing, existing: true };
    const [run] = await tx.insert(harvestRuns).values({ connectionId, trigger }).returning();
    if (!run) throw new Error('harvest run insert returned nothing');
    if (queue) await queue.send('harvest.run', { harvestId: run.id }, { tx });
    return { run, existing: false };
  });
}

/**
 * A run left "running" by a process that died (a CLI harvest killed with -9): nobody holds the
 * connection's harvest lock any more (execute.ts holds it for the whole run), or its heartbeat
 * stopped long ago. Either way the next run takes over from the stored cursor.
 */
async function failStaleRuns(tx: Tx, connectionId: string): Promise<void> {
  const running = await tx
    .select({ id: harvestRuns.id, heartbeatAt: harvestRuns.heartbeatAt })
    .from(harvestRuns)
    .where(and(eq(harvestRuns.connectionId, connectionId), eq(harvestRuns.status, 'running')));
  if (!running.length) return;
  const lock = await tx.execute<{ free: boolean }>(sql`SELECT pg_try_advisory_xact_lock(hashtext(${`harvest:${connectionId}`})) AS free`);
  const lockFree = lock.rows[0]?.free === true;
  const staleBefore = Date.now() - STALE_AFTER_MS;
  const dead = running.filter((run) => lockFree || !run.heartbeatAt || run.heartbeatAt.getTime() < staleBefore).map((run) => run.id);
  if (!dead.length) return;
  await tx
    .update(harvestRuns)
    .set({ status: 'failed', error: 'interrupted: the process running it stopped; the next run resumes from the last stored batch', finishedAt: new Date() })
    .where(inArray(harvestRuns.id, dead));
}

export async function getRun(db: Tx, id: string): Promise<HarvestRun | null> {
  const [run] = await db.select().from(harvestRuns).where(eq(harvestRuns.id, id));
  return run ?? null;
}

/** Newest first; `afterId` pages after that run. */
export async function listRuns(db: Tx, options: { connectionId?: string | undefined; afterId?: string | undefined; limit?: number | undefined } = {}): Promise<HarvestRun[]> {
  const where = [
    ...(options.connectionId ? [eq(harvestRuns.connectionId, options.connectionId)] : []),
    ...(options.afterId ? [afterRow(harvestRuns, harvestRuns.createdAt, harvestRuns.id, options.afterId)] : []),
  ];
  return db
    .select()
    .from(harvestRuns)
    .where(where.length ? and(...where) : undefined)
    .orderBy(desc(harvestRuns.createdAt), desc(harvestRuns.id))
    .limit(options.limit ?? 50);
}

/** Asks a run to stop after its current batch; a queued run is cancelled at once. */
export async function cancelRun(db: Tx, id: string): Promise<HarvestRun | null> {
  const [run] = await db
    .update(harvestRuns)
    .set({
      cancelRequestedAt: sql`coalesce(${harvestRuns.cancelRequestedAt}, now())`,
      status: sql`CASE WHEN ${harvestRuns.status} = 'queued' THEN 'cancelled' ELSE ${harvestRuns.status} END`,
      finishedAt: sql`CASE WHEN ${harvestRuns.status} = 'queued' THEN now() ELSE ${harvestRuns.finishedAt} END`,
    })
    .where(eq(harvestRuns.id, id))
    .returning();
  return run ?? null;
}

export function isTerminal(status: HarvestStatus): boolean {
  return status === 'succeeded' || status === 'failed' || status === 'cancelled';
}
