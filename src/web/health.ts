/** Liveness, readiness and Prometheus metrics: unauthenticated, for load balancers and scrapers. */
import { sql } from 'drizzle-orm';
import { Hono } from 'hono';
import { migrationsApplied } from '../db/migrate.ts';
import type { AppDeps } from '../deps.ts';
import { queueDepth, queueOldestAge, registry } from '../metrics.ts';
import { refreshAbMetrics } from '../models/ab/metrics.ts';
import { refreshAlertMetrics } from '../serving/compliance/alerts/metrics.ts';
import { refreshRunMetrics } from '../training/metrics.ts';

const CHECK_TIMEOUT_MS = 2_000;

function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what} did not answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS).unref()),
  ]);
}

async function check(run: () => Promise<boolean>, what: string): Promise<{ ok: boolean; error?: string }> {
  try {
    const ok = await withTimeout(run(), what);
    return ok ? { ok } : { ok, error: `${what} not ready` };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}

export function healthRoutes(deps: AppDeps) {
  const app = new Hono();

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

  app.get('/metrics', async (c) => {
    if (deps.queue) {
      try {
        for (const queue of await withTimeout(deps.queue.depth(), 'queue')) {
          queueDepth.set({ name: queue.name, state: 'queued' }, queue.queued);
          queueDepth.set({ name: queue.name, state: 'active' }, queue.active);
          queueDepth.set({ name: queue.name, state: 'failed' }, queue.failed);
          queueOldestAge.set({ name: queue.name }, queue.oldestQueuedSeconds);
        }
      } catch {
        // Metrics must still be served when the database is down; the gauge keeps its last values.
      }
    }
    // Read from the database at scrape time; each has its own time limit, and a slow or
    // unreachable database leaves its gauges at their last values, as above.
    const refreshes: Array<[string, (db: typeof deps.database.db) => Promise<void>]> = [
      ['ab-tests', refreshAbMetrics],
      ['runs', refreshRunMetrics],
      ['alerts', refreshAlertMetrics],
    ];
    await Promise.all(refreshes.map(([what, refresh]) => withTimeout(refresh(deps.database.db), what).catch(() => undefined)));
    return c.text(await registry.metrics(), 200, { 'Content-Type': registry.contentType });
  });

  return app;
}
