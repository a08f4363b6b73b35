/**
 * The process split that docker-compose.yml and deploy/k8s use: `start --skip-queues` leaves the
 * training queues to a `worker` with Python, and `worker --health-port` answers health checks and
 * Prometheus without serving the API.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { startHub } from '../../src/main.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { captureLogger } from '../support/logger.ts';
import { runCli } from '../support/cli.ts';

describe('hub and worker processes', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database.drop();
  });

  it('a worker with --health-port answers /healthz, /readyz and /metrics but not the API', async () => {
    const config = loadConfig({ DATABASE_URL: database.url, PORT: '0' });
    const hub = await startHub({ config, log: captureLogger().log, serveHttp: false, queues: ['events.sweep'], healthPort: 0 });
    try {
      expect(hub.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect((await fetch(`${hub.url}/healthz`)).status).toBe(200);
      const ready = await fetch(`${hub.url}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({ status: 'ready' });
      const metrics = await (await fetch(`${hub.url}/metrics`)).text();
      expect(metrics).toContain('tuneloop_job_duration_seconds');
      expect((await fetch(`${hub.url}/api/v1/connections`)).status).toBe(404);
    } finally {
      await hub.stop();
    }
  });

  it('start --skip-queues runs every handler except the skipped ones', async () => {
    const config = loadConfig({ DATABASE_URL: database.url, PORT: '0' });
    const logger = captureLogger();
    const hub = await startHub({ config, log: logger.log, serveHttp: true, skipQueues: ['finetune.train', 'model.evaluate'] });
    try {
      const line = logger.lines().find((entry) => entry.msg === 'job handlers running');
      const queues = line?.queues as string[];
      expect(queues).toContain('harvest.run');
      expect(queues).toContain('dataset.build');
      expect(queues).not.toContain('finetune.train');
      expect(queues).not.toContain('model.evaluate');
    } finally {
      await hub.stop();
    }
  });

  it('rejects an unknown queue or a bad health port before starting anything', async () => {
    const skip = runCli(['start', '--skip-queues', 'finetune.train,nope'], { DATABASE_URL: database.url, PORT: '0' });
    expect(skip.status).toBe(2);
    expect(skip.stderr).toContain('unknown queue "nope"');
    const port = runCli(['worker', '--health-port', 'eighty'], { DATABASE_URL: database.url });
    expect(port.status).toBe(2);
    expect(port.stderr).toContain('--health-port must be a port number');
  });
});
