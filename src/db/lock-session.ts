/**
 * A connection of its own, outside the pool, for a session-level advisory lock held for a whole
 * long run (a harvest, a fine-tuning job). Taken from the pool, such a lock pinned one of its few
 * clients for hours: with a training run, its progress writes, the cancel watch and API requests
 * sharing the rest, a checkout could wait past the pool's connectionTimeoutMillis under load, and
 * a failed progress write failed the whole attempt (then retried as attempt 2). If the session's
 * connection drops, Postgres releases the lock with it, as before.
 */
import pg from 'pg';
import type { Database } from './client.ts';

export interface LockSession {
  /** pg_try_advisory_lock on this session; false when another session holds it. */
  tryLock(key: string): Promise<boolean>;
  /** Unlocks (best effort) and closes the connection. */
  close(): Promise<void>;
}

export async function openLockSession(database: Pick<Database, 'url'>, onError: (error: Error) => void): Promise<LockSession> {
  const client = new pg.Client({ connectionString: database.url, connectionTimeoutMillis: 10_000, application_name: 'tuneloop-lock' });
  // A dropped connection must fail the run through its next query, not crash the process.
  client.on('error', onError);
  await client.connect();
  const held: string[] = [];
  return {
    async tryLock(key) {
      const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock(hashtext($1)) AS locked', [key]);
      const locked = Boolean(rows[0]?.locked);
      if (locked) held.push(key);
      return locked;
    },
    async close() {
      for (const key of held.splice(0)) await client.query('SELECT pg_advisory_unlock(hashtext($1))', [key]).catch(() => undefined);
      await client.end().catch(() => undefined);
    },
  };
}
