import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.ts';
import { metricsRoutes } from '../../src/web/metrics.ts';
import { connectDatabase } from '../../src/db/client.ts';
import { startQueue, type Queue } from '../../src/queue/queue.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { testDeps } from '../support/app.ts';
import { captureLogger } from '../support/logger.ts';

describe('health, readiness and metrics', () => {
  let database: TestDatabase;
  let queue: Queue;

  beforeAll(async () => {
    database = await createTestDatabase();
    queue = await startQueue({ url: database.url, schema: 'pgboss', log: captureLogger().log });
  });
  afterAll(async () => {
    await queue.stop({ timeoutMs: 2_000 });
    await database.drop();
  });

  it('is ready with a migrated database and a running queue', async () => {
    const app = createApp(testDeps(database, queue));
    expect((await app.request('/healthz')).status).toBe(200);
    const ready = await app.request('/readyz');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', checks: { database: { ok: true }, migrations: { ok: true }, queue: { ok: true } } });
  });

  it('is not ready when the database is gone, and still alive', async () => {
    const gone = connectDatabase('postgres://nobody@127.0.0.1:1/nothing');
    const app = createApp(testDeps(gone, null));
    try {
      const ready = await app.request('/readyz');
      expect(ready.status).toBe(503);
      const body = (await ready.json()) as { status: string; checks: { database: { ok: boolean; error: string } } };
      expect(body.status).toBe('not_ready');
      expect(body.checks.database.ok).toBe(false);
      expect(body.checks.database.error).not.toContain('nobody@');
      // Our words only: no driver text (address, port, errno) for an unauthenticated caller.
      expect(body.checks.database.error).toBe('database unreachable; see the server log');
      expect((await app.request('/healthz')).status).toBe(200);
    } finally {
      await gone.close();
    }
  });

  it('serves Prometheus metrics: requests, latency, queue depth', async () => {
    const app = createApp(testDeps(database, queue));
    await queue.send('triage.apply', { connectionId: crypto.randomUUID(), sourceId: '42' });
    await app.request('/healthz');
    await app.request('/api/v1/tokens');
    const response = await app.request('/metrics');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    const text = await response.text();
    expect(text).toMatch(/tuneloop_http_requests_total\{method="GET",route="\/healthz",status="200"\} \d+/);
    expect(text).toMatch(/tuneloop_http_requests_total\{method="GET",route="[^"]*",status="401"\} \d+/);
    expect(text).toContain('tuneloop_http_request_duration_seconds_bucket');
    expect(text).toMatch(/tuneloop_queue_depth\{name="triage.apply",state="queued"\} [1-9]/);
    expect(text).toContain('tuneloop_job_duration_seconds');
  });

  it('/metrics behind METRICS_TOKEN: 401 without it or with a wrong one', async () => {
    const token = 'metrics-token-0123456789';
    const app = createApp(testDeps(database, queue, { METRICS_TOKEN: token }));
    expect((await app.request('/metrics')).status).toBe(401);
    expect((await app.request('/metrics', { headers: { Authorization: 'Bearer wrong-token-0123456789' } })).status).toBe(401);
    const allowed = await app.request('/metrics', { headers: { Authorization: `Bearer ${token}` } });
    expect(allowed.status).toBe(200);
    expect(await allowed.text()).toContain('tuneloop_http_requests_total');
  });

  it('/metrics on METRICS_PORT only: the API port does not serve it', async () => {
    const deps = testDeps(database, queue, { METRICS_PORT: '0' });
    expect((await createApp(deps).request('/metrics')).status).toBe(404);
    const own = await metricsRoutes(deps).request('/metrics');
    expect(own.status).toBe(200);
  });
});
