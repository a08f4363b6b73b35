import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { createZendeskSandbox, SANDBOX_DEFAULTS, type ZendeskSandbox } from '../../integrations/zendesk/sandbox/index.ts';
import { createToken } from '../../src/auth/tokens.ts';
import { harvestRuns } from '../../src/db/schema/index.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { startCli } from '../support/cli.ts';
import { addConnection, counts, harvestNow, storedSnapshot, TEST_KEY } from '../support/harvest.ts';

const TICKETS = 1_500;

/** kill -9 of the real hub process in the middle of a harvest; the restarted hub finishes the same run. */
describe('a harvest survives kill -9 of the hub', () => {
  let database: TestDatabase;
  let sandbox: ZendeskSandbox;
  let server: { url: string; close(): Promise<void> };

  beforeAll(async () => {
    database = await createTestDatabase();
    // A little latency per request so the harvest is reliably in flight when it is killed. Zendesk's
    // limits stay on (10 export calls a window), with a 5-second window so three harvests fit the test.
    sandbox = createZendeskSandbox({ seed: 11, tickets: TICKETS, latencyMs: 2, limits: { windowMs: 5_000 } });
    server = await sandbox.listen();
  });
  afterAll(async () => {
    await server.close();
    await database.drop();
  });

  const env = () => ({ DATABASE_URL: database.url, PORT: '0', TUNELOOP_ENCRYPTION_KEY: TEST_KEY.toString('base64'), HARVEST_BATCH_SIZE: '50' });
  const credentials = { type: 'api_token', email: SANDBOX_DEFAULTS.email, token: SANDBOX_DEFAULTS.apiToken };

  async function runState(id: string) {
    const [run] = await database.db.select().from(harvestRuns).where(eq(harvestRuns.id, id));
    return run;
  }

  async function until<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
    for (;;) {
      const value = await read();
      if (done(value)) return value;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  it('resumes from the last stored batch and ends equal to a clean run', { timeout: 180_000 }, async () => {
    const crashed = await addConnection(database, { vendor: 'zendesk', name: 'zd-crash', settings: { baseUrl: server.url }, credentials });
    const { token } = await createToken(database.db, 'crash-test', 'test');

    const first = startCli(['start'], env());
    const { url } = await first.waitForLog((line) => line.msg === 'hub listening', 'hub listening');
    const started = await fetch(`${String(url)}/api/v1/connections/${crashed.id}/harvests`, { method: 'POST', headers: { Authorization: `Bearer ${token}` } });
    expect(started.status).toBe(202);
    const { id } = (await started.json()) as { id: string };

    const midway = await until(() => runState(id), (run) => (run?.conversationsSeen ?? 0) >= 300);
    first.child.kill('SIGKILL');
    await first.exited;
    expect(midway?.status).toBe('running');
    const storedAtKill = (await counts(database, crashed.id)).conversations;
    expect(storedAtKill).toBeLessThan(TICKETS);

    const second = startCli(['start'], env());
    await second.waitForLog((line) => line.msg === 'hub listening', 'hub listening again');
    const finished = await until(() => runState(id), (run) => run?.status === 'succeeded' || run?.status === 'failed');
    second.child.kill('SIGTERM');
    await second.exited;

    expect(finished?.status).toBe('succeeded');
    expect(finished?.attempts).toBeGreaterThanOrEqual(2);
    expect(await counts(database, crashed.id)).toEqual({ conversations: TICKETS, messages: [...sandbox.store.tickets.values()].reduce((n, t) => n + t.comments.length, 0) });

    const clean = await addConnection(database, { vendor: 'zendesk', name: 'zd-clean', settings: { baseUrl: server.url }, credentials });
    expect((await harvestNow(database, clean.id))?.status).toBe('succeeded');
    expect(await storedSnapshot(database, crashed.id)).toEqual(await storedSnapshot(database, clean.id));
    expect(sandbox.store.overLimit).toEqual([]);
    expect(sandbox.store.violations).toEqual([]);
  });
});
