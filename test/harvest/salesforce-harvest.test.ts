import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { salesforceConnector } from '../../integrations/salesforce/connector.ts';
import { createSalesforceSandbox } from '../../integrations/salesforce/sandbox/index.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { addConnection, counts, harvestNow, storedSnapshot } from '../support/harvest.ts';

const CASES = 5_000;

describe('harvest from the Salesforce sandbox into Postgres (jsforce)', () => {
  let database: TestDatabase;
  const sandbox = createSalesforceSandbox({ seed: 21, cases: CASES, apiLimit: 1_000_000 });
  let server: { url: string; close(): Promise<void> };

  beforeAll(async () => {
    database = await createTestDatabase();
    server = await sandbox.listen();
  });
  afterAll(async () => {
    await server.close();
    await database.drop();
  });

  const credentials = () => ({ type: 'password', username: sandbox.credentials.username, password: sandbox.credentials.password, securityToken: sandbox.credentials.securityToken });

  /** What the connector itself yields, straight from the sandbox: the reference for the stored rows. */
  async function vendorMessageCount(): Promise<number> {
    const connector = salesforceConnector.create({ instanceUrl: server.url, apiVersion: '62.0' }, salesforceConnector.credentialsSchema.parse(credentials()));
    let messages = 0;
    for await (const batch of connector.harvest(null)) for (const conversation of batch.conversations) messages += conversation.messages.length;
    return messages;
  }

  it('stores exactly 5,000 cases with all messages; a re-run stores nothing; 10 changed cases update exactly 10', async () => {
    const connection = await addConnection(database, { vendor: 'salesforce', name: 'sf-5000', settings: { instanceUrl: server.url }, credentials: credentials() });

    const first = await harvestNow(database, connection.id, 200);
    expect(first?.status, first?.error ?? '').toBe('succeeded');
    expect(first?.conversationsCreated).toBe(CASES);
    // One query per 200 cases with their emails and comments, one composite call for children changed
    // on their own, and the login (the formula has its own test).
    expect(first?.vendorRequests).toBe(Math.ceil(CASES / 200) + 2);
    expect(await counts(database, connection.id)).toEqual({ conversations: CASES, messages: await vendorMessageCount() });

    const again = await harvestNow(database, connection.id, 200);
    expect(again).toMatchObject({ status: 'succeeded', conversationsCreated: 0, conversationsUpdated: 0, messagesWritten: 0 });

    const before = await storedSnapshot(database, connection.id);
    const touched = sandbox.store.touchCases(10);
    const third = await harvestNow(database, connection.id, 200);
    expect(third).toMatchObject({ status: 'succeeded', conversationsCreated: 0, conversationsUpdated: 10 });
    const after = await storedSnapshot(database, connection.id);
    const changed = [...after].filter(([id, value]) => before.get(id) !== value).map(([id]) => id);
    expect(changed.sort()).toEqual([...touched].sort());
    expect(sandbox.store.violations).toEqual([]);
  });

  it('fails clearly on a wrong password and stores nothing', async () => {
    const connection = await addConnection(database, {
      vendor: 'salesforce',
      name: 'sf-wrong',
      settings: { instanceUrl: server.url },
      credentials: { ...credentials(), password: 'not-the-password' },
    });
    const run = await harvestNow(database, connection.id);
    expect(run?.status).toBe('failed');
    expect(run?.error).toMatch(/Salesforce rejected/);
    expect(run?.error).not.toContain('not-the-password');
    expect((await counts(database, connection.id)).conversations).toBe(0);
  });
});
