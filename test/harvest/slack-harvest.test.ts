/**
 * The Slack connector through the hub's harvest engine into Postgres: every thread stored exactly
 * once with all its messages, a re-run stores nothing, and threads that got new replies are
 * updated, exactly those.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { createSlackSandbox, DEFAULT_CHANNELS, SANDBOX_BOT_TOKEN, SUPPORT_GROUP_ID, type SlackSandbox } from '../../integrations/slack/sandbox/index.ts';
import { isThreadStart } from '../../integrations/slack/sandbox/store.ts';
import { connections } from '../../src/db/schema/index.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { addConnection, counts, harvestNow, storedSnapshot } from '../support/harvest.ts';

const THREADS = 5_000;

describe('harvest from the Slack sandbox into Postgres', () => {
  let database: TestDatabase;
  let sandbox: SlackSandbox;
  let server: { apiUrl: string; close(): Promise<void> };

  beforeAll(async () => {
    database = await createTestDatabase();
    sandbox = createSlackSandbox({ seed: 5, threads: THREADS });
    server = await sandbox.listen();
  });
  afterAll(async () => {
    await server.close();
    await database.drop();
  });

  const settings = () => ({ channels: DEFAULT_CHANNELS.map((channel) => channel.id), apiUrl: server.apiUrl, agentUserGroup: SUPPORT_GROUP_ID });
  const credentials = { type: 'bot_token', token: SANDBOX_BOT_TOKEN };
  /** Messages people and bots wrote: thread parents and their replies (channel events are not messages). */
  const sandboxMessages = () =>
    [...sandbox.store.channels.values()].reduce(
      (sum, channel) => sum + channel.topLevel.filter(isThreadStart).reduce((inChannel, parent) => inChannel + 1 + (channel.replies.get(parent.ts)?.length ?? 0), 0),
      0,
    );

  it('stores exactly 5,000 threads with all messages; a re-run stores nothing; 10 threads with new replies update exactly 10', async () => {
    const connection = await addConnection(database, { vendor: 'slack', name: 'slack-5000', settings: settings(), credentials });

    const first = await harvestNow(database, connection.id);
    expect(first?.status).toBe('succeeded');
    expect(first?.conversationsCreated).toBe(THREADS);
    expect(await counts(database, connection.id)).toEqual({ conversations: THREADS, messages: sandboxMessages() });

    const again = await harvestNow(database, connection.id);
    expect(again).toMatchObject({ status: 'succeeded', conversationsCreated: 0, conversationsUpdated: 0, messagesWritten: 0 });

    const touched = sandbox.store.followUpThreads(10);
    const before = await storedSnapshot(database, connection.id);
    const third = await harvestNow(database, connection.id);
    expect(third).toMatchObject({ status: 'succeeded', conversationsCreated: 0, conversationsUpdated: 10 });
    const after = await storedSnapshot(database, connection.id);
    const changed = [...after].filter(([id, value]) => before.get(id) !== value).map(([id]) => id);
    expect(changed.sort()).toEqual([...touched].sort());
    expect(await counts(database, connection.id)).toEqual({ conversations: THREADS, messages: sandboxMessages() });
  });

  it('fails clearly on a wrong token and keeps the cursor where it was', async () => {
    const connection = await addConnection(database, { vendor: 'slack', name: 'slack-wrong', settings: settings(), credentials: { type: 'bot_token', token: 'xoxb-wrong-token' } });
    const run = await harvestNow(database, connection.id);
    expect(run?.status).toBe('failed');
    expect(run?.error).toMatch(/Slack rejected the bot token \(invalid_auth\)/);
    expect(run?.error).not.toContain('xoxb-wrong-token');
    const [row] = await database.db.select().from(connections).where(eq(connections.id, connection.id));
    expect(row?.cursor).toBeNull();
    expect((await counts(database, connection.id)).conversations).toBe(0);
  });
});
