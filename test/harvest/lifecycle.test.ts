import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { createZendeskSandbox, SANDBOX_DEFAULTS, type ZendeskSandbox } from '../../integrations/zendesk/sandbox/index.ts';
import { executeRun } from '../../src/harvest/execute.ts';
import { cancelRun, createRun, getRun, listRuns } from '../../src/harvest/runs.ts';
import { registerHandlers } from '../../src/jobs/handlers.ts';
import { startQueue, type Queue } from '../../src/queue/queue.ts';
import { testDeps } from '../support/app.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { addConnection, counts, harvestNow, testKeyring } from '../support/harvest.ts';
import { captureLogger } from '../support/logger.ts';

const TICKETS = 600;

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('harvest runs: cancel, resume, schedules', () => {
  let database: TestDatabase;
  let sandbox: ZendeskSandbox;
  let server: { url: string; close(): Promise<void> };
  const credentials = { type: 'api_token', email: SANDBOX_DEFAULTS.email, token: SANDBOX_DEFAULTS.apiToken };

  beforeAll(async () => {
    database = await createTestDatabase();
    sandbox = createZendeskSandbox({ seed: 9, tickets: TICKETS, latencyMs: 2 });
    server = await sandbox.listen();
  });
  afterAll(async () => {
    await server.close();
    await database.drop();
  });

  it('cancels a running harvest between requests; the next run resumes without loss or duplicates', async () => {
    const connection = await addConnection(database, { vendor: 'zendesk', name: 'zd-cancel', settings: { baseUrl: server.url }, credentials });
    const { run } = await createRun(database.db, connection.id, 'manual', null);
    const running = executeRun({ database, keyring: testKeyring(), log: captureLogger().log, batchSize: 50 }, run.id, { lastAttempt: true, pollMs: 50 });
    await until(() => getRun(database.db, run.id), (r) => (r?.conversationsSeen ?? 0) >= 100);
    await cancelRun(database.db, run.id);
    const cancelled = await running;
    expect(cancelled?.status).toBe('cancelled');
    const partial = (await counts(database, connection.id)).conversations;
    expect(partial).toBeGreaterThanOrEqual(100);
    expect(partial).toBeLessThan(TICKETS);

    const resumed = await harvestNow(database, connection.id, 50);
    expect(resumed?.status).toBe('succeeded');
    expect(resumed?.conversationsCreated).toBe(TICKETS - partial);
    expect((await counts(database, connection.id)).conversations).toBe(TICKETS);
  });

  it('a scheduled tick creates a run and the queue executes it', async () => {
    const connection = await addConnection(database, { vendor: 'zendesk', name: 'zd-tick', settings: { baseUrl: server.url }, credentials });
    const queue: Queue = await startQueue({ url: database.url, schema: 'pgboss', log: captureLogger().log });
    try {
      const deps = { ...testDeps(database, queue), queue, keyring: testKeyring() };
      await registerHandlers(deps, ['harvest.run'], 1);
      await queue.send('harvest.run', { connectionId: connection.id, trigger: 'schedule' });
      const [run] = await until(
        () => listRuns(database.db, { connectionId: connection.id }),
        (runs) => runs[0]?.status === 'succeeded',
      );
      expect(run?.trigger).toBe('schedule');
      const stored = await counts(database, connection.id);
      expect(stored.conversations).toBe(TICKETS);
      // Every harvested message was queued for the compliance scan in its batch's transaction.
      const scans = await database.db.execute<{ n: string }>(sql`SELECT count(*)::text AS n FROM pgboss.job WHERE name = 'compliance.scan'`);
      expect(Number(scans.rows[0]?.n)).toBe(stored.messages);
    } finally {
      await queue.stop({ timeoutMs: 2_000 });
    }
  });
});
