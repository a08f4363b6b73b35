/**
 * Liveness and readiness: unauthenticated, for load balancers. A failed check says which part is
 * not ready and why in our words ("unreachable", "timed out"), never the driver's error text (host
 * names, user names, SQL); that goes to the log.
 */
import { sql } from 'drizzle-orm';
import { Hono } from 'hono';
import { migrationsApplied } from '../db/migrate.ts';
import type { AppDeps } from '../deps.ts';

const CHECK_TIMEOUT_MS = 2_000;

class CheckTimeout extends Error {
  override name = 'CheckTimeout';
}

export function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => setTimeout(() => reject(new CheckTimeout(`${what} did not answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS).unref()),
  ]);
}

export function healthRoutes(deps: AppDeps) {
  const app = new Hono();
  const log = deps.log.child({ module: 'health' });

  async function check(run: () => Promise<boolean>, what: string): Promise<{ ok: boolean; error?: string }> {
    try {
      const ok = await withTimeout(run(), what);
      return ok ? { ok } : { ok, error: `${what} not ready` };
    } catch (error) {
      if (error instanceof CheckTimeout) return { ok: false, error: error.message };
      log.warn({ err: error, check: what }, 'readiness check failed');
      return { ok: false, error: `${what} unreachable; see the server log` };
    }
  }

  app.get('/healthz', (c) => c.json({ status: 'ok' }));

  app.get('/readyz', async (c) => {
    const database = await check(async () => {
      await deps.database.db.execute(sql`SELECT 1`);
      return true;
    }, 'database');
    const migrations = database.ok ? await check(() => migrationsApplied(deps.database), 'migrations') : { ok: false, error: 'database unreachable' };
    const queue = deps.queue ? await check(async () => (await deps.queue?.ping()) === true, 'queue') : { ok: false, error: 'queue not started' };
    const ready = database.ok && migrations.ok && queue.ok;
    return c.json({ status: ready ? 'ready' : 'not_ready', checks: { database, migrations, queue } }, ready ? 200 : 503);
  });

  return app;
}
