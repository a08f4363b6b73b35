import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { startHub } from '../../src/main.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { captureLogger } from '../support/logger.ts';
import { startCli } from '../support/cli.ts';
import pg from 'pg';

describe('graceful shutdown', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database.drop();
  });

  async function jobState(id: string): Promise<string | undefined> {
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ state: string }>('SELECT state FROM pgboss.job WHERE id = $1', [id]);
      return rows[0]?.state;
    } finally {
      await client.end();
    }
  }

  it('stops accepting requests, lets the running job finish, then closes', async () => {
    const config = loadConfig({ DATABASE_URL: database.url, PORT: '0', SHUTDOWN_TIMEOUT_MS: '30000' });
    const hub = await startHub({ config, log: captureLogger().log, serveHttp: true, queues: [] });
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const started = new Promise<void>((resolve) => {
      void hub.queue.work('slack.notify', async () => {
        resolve();
        await released;
      });
    });
    const jobId = await hub.queue.send('slack.notify', { kind: 'run.status', subjectId: 'r1' });
    await started;

    let stopped = false;
    const stopping = hub.stop().then(() => (stopped = true));
    // The listener closes first: a new connection is refused while the job still runs.
    await expect(fetch(`${hub.url}/healthz`)).rejects.toThrow();
    expect(stopped).toBe(false);
    release();
    await stopping;
    expect(await jobState(jobId ?? '')).toBe('completed');
  });

  it('bounds the wait for a job that does not finish, leaving it to be retried', async () => {
    const config = loadConfig({ DATABASE_URL: database.url, PORT: '0', SHUTDOWN_TIMEOUT_MS: '300' });
    const hub = await startHub({ config, log: captureLogger().log, serveHttp: false, queues: [] });
    const started = new Promise<void>((resolve) => {
      void hub.queue.work('slack.notify', async () => {
        resolve();
        await new Promise(() => undefined); // never finishes
      });
    });
    const jobId = await hub.queue.send('slack.notify', { kind: 'run.status', subjectId: 'r2' });
    await started;
    await hub.stop();
    expect(await jobState(jobId ?? '')).not.toBe('completed');
  });

  it('exits 0 on SIGTERM as a real process', async () => {
    const hub = startCli(['start'], { DATABASE_URL: database.url, PORT: '0' });
    const listening = await hub.waitForLog((line) => line.msg === 'hub listening', 'hub listening');
    expect((await fetch(`${String(listening.url)}/readyz`)).status).toBe(200);
    hub.child.kill('SIGTERM');
    expect(await hub.exited).toEqual({ code: 0, signal: null });
    expect(hub.output()).toContain('"msg":"stopped"');
  });
});
