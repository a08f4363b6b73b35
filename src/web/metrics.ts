/**
 * GET /metrics, Prometheus text. Queue depths and per-route counts tell an outsider a lot, so it is
 * not left open: with METRICS_TOKEN set it needs `Authorization: Bearer <token>`; with METRICS_PORT
 * set it is served only on that port (main.ts), not on the API's. With neither, it is on the API's
 * port, which listens on loopback unless HOST says otherwise (main.ts warns then).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { Hono } from 'hono';
import type { AppDeps } from '../deps.ts';
import { queueDepth, queueOldestAge, registry } from '../metrics.ts';
import { refreshAbMetrics } from '../models/ab/metrics.ts';
import { refreshAlertMetrics } from '../serving/compliance/alerts/metrics.ts';
import { refreshRunMetrics } from '../training/metrics.ts';
import { errorBody } from './errors.ts';
import { withTimeout } from './health.ts';

const digest = (text: string) => createHash('sha256').update(text).digest();

export function metricsRoutes(deps: AppDeps) {
  const app = new Hono();
  const token = deps.config.METRICS_TOKEN;

  app.get('/metrics', async (c) => {
    if (token) {
      const presented = /^Bearer\s+(\S+)$/i.exec(c.req.header('authorization') ?? '')?.[1] ?? '';
      // Digests: equal lengths for the constant-time compare, whatever was sent.
      if (!timingSafeEqual(digest(presented), digest(token))) {
        return c.json(errorBody('unauthorized', 'metrics need the METRICS_TOKEN bearer token'), 401, { 'WWW-Authenticate': 'Bearer realm="metrics"' });
      }
    }
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
