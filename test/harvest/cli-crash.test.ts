import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_DEFAULTS as HUBSPOT } from '../../integrations/hubspot/sandbox/index.ts';
import { SANDBOX_DEFAULTS as INTERCOM } from '../../integrations/intercom/sandbox/index.ts';
import { DEFAULT_SANDBOX_CREDENTIALS as SALESFORCE } from '../../integrations/salesforce/sandbox/auth.ts';
import { startSandboxProcess, type SandboxProcess } from '../../integrations/sandbox-kit/process.ts';
import { DEFAULT_CHANNELS, SANDBOX_BOT_TOKEN, SUPPORT_GROUP_ID } from '../../integrations/slack/sandbox/index.ts';
import { listRuns } from '../../src/harvest/runs.ts';
import { runCli, startCli } from '../support/cli.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { addConnection, counts, harvestNow, storedSnapshot, TEST_KEY } from '../support/harvest.ts';

const ITEMS = 600;

/**
 * Per vendor: its sandbox's latency (so the harvest is still running when killed), whether its
 * real rate limits stay on (HubSpot's 190 calls per 10 seconds would make three harvests of 300
 * inbox threads wait most of a minute; its limits have their own tests), and how a connection reaches it.
 */
const VENDORS = {
  hubspot: { latencyMs: 3, rateLimits: false, settings: (url: string) => ({ baseUrl: url }), credentials: { type: 'private_app', accessToken: HUBSPOT.privateAppToken } },
  intercom: { latencyMs: 3, rateLimits: true, settings: (url: string) => ({ baseUrl: url }), credentials: { type: 'access_token', accessToken: INTERCOM.accessToken } },
  slack: {
    latencyMs: 3,
    rateLimits: true,
    settings: (url: string) => ({ apiUrl: `${url}/api/`, channels: DEFAULT_CHANNELS.map((c) => c.id), agentUserGroup: SUPPORT_GROUP_ID, pageSize: 50 }),
    credentials: { type: 'bot_token', token: SANDBOX_BOT_TOKEN },
  },
  salesforce: {
    latencyMs: 40,
    rateLimits: true,
    settings: (url: string) => ({ instanceUrl: url }),
    credentials: { type: 'password', username: SALESFORCE.username, password: SALESFORCE.password, securityToken: SALESFORCE.securityToken },
  },
};

/** kill -9 of a `tuneloop harvest run` process mid-harvest; running it again finishes, equal to a clean run. */
describe.each(Object.keys(VENDORS) as Array<keyof typeof VENDORS>)('%s: a CLI harvest killed with -9', (vendor) => {
  const spec = VENDORS[vendor];
  let database: TestDatabase;
  let sandbox: SandboxProcess;
  beforeAll(async () => {
    database = await createTestDatabase();
    sandbox = await startSandboxProcess(vendor, { seed: 3, items: ITEMS, latencyMs: spec.latencyMs, rateLimits: spec.rateLimits });
  });
  afterAll(async () => {
    await sandbox.close();
    await database.drop();
  });

  it('resumes on the next run and ends equal to a clean run', { timeout: 120_000 }, async () => {
    const env = { DATABASE_URL: database.url, TUNELOOP_ENCRYPTION_KEY: TEST_KEY.toString('base64'), HARVEST_BATCH_SIZE: '25' };
    const connection = (name: string) => addConnection(database, { vendor, name, settings: spec.settings(sandbox.url), credentials: spec.credentials });
    const crashed = await connection(`${vendor}-crash`);

    const first = startCli(['harvest', 'run', crashed.name], env);
    let exited = false;
    void first.exited.then(() => (exited = true));
    for (;;) {
      if ((await counts(database, crashed.id)).conversations >= 50) break;
      if (exited) throw new Error(`harvest ended before it could be killed:\n${first.output()}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    first.child.kill('SIGKILL');
    await first.exited;
    expect((await counts(database, crashed.id)).conversations).toBeLessThan(ITEMS);

    // The dead run holds no lock any more, so the next run takes over at once from the stored cursor.
    const second = runCli(['harvest', 'run', crashed.name], env);
    expect(second.status, second.stderr).toBe(0);
    expect(second.stdout).toMatch(/^succeeded: /);
    const runs = await listRuns(database.db, { connectionId: crashed.id });
    expect(runs.map((run) => run.status).sort()).toEqual(['failed', 'succeeded']);
    expect(runs.find((run) => run.status === 'failed')?.error).toMatch(/interrupted/);

    const clean = await connection(`${vendor}-clean`);
    expect((await harvestNow(database, clean.id))?.status).toBe('succeeded');
    expect((await counts(database, crashed.id)).conversations).toBe(ITEMS);
    expect(await storedSnapshot(database, crashed.id)).toEqual(await storedSnapshot(database, clean.id));
  });
});
