/**
 * DRAFTS_FROM_HARVEST, the polling fallback: an incremental harvest queues drafts and triage for
 * the tickets it stored that wait for an answer, in the batch's transaction; the first harvest
 * (history), solved tickets, tickets whose last word is the agent's and tickets with a posted draft
 * queue nothing, and without the setting nothing is queued at all. (A ticket is looked at when a
 * harvest writes it, i.e. when it changed at the vendor.)
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createZendeskSandbox, SANDBOX_DEFAULTS } from '../../integrations/zendesk/sandbox/index.ts';
import { drafts } from '../../src/db/schema/index.ts';
import { executeRun } from '../../src/harvest/execute.ts';
import { createRun } from '../../src/harvest/runs.ts';
import { startQueue, type Queue } from '../../src/queue/queue.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { addConnection, testKeyring } from '../support/harvest.ts';
import { captureLogger } from '../support/logger.ts';
import { reactToHarvest } from '../../src/serving/on-harvest.ts';

describe('drafts from harvests (polling fallback)', () => {
  let database: TestDatabase;
  let queue: Queue;
  const zendesk = createZendeskSandbox({ seed: 41, tickets: 12 });
  let close: () => Promise<void>;
  let connectionId = '';

  beforeAll(async () => {
    database = await createTestDatabase();
    queue = await startQueue({ url: database.url, schema: 'pgboss', log: captureLogger().log });
    const zd = await zendesk.listen();
    close = zd.close;
    connectionId = (await addConnection(database, { vendor: 'zendesk', name: 'zd', settings: { baseUrl: zd.url }, credentials: { type: 'api_token', email: SANDBOX_DEFAULTS.email, token: SANDBOX_DEFAULTS.apiToken } })).id;
  });
  afterAll(async () => {
    await queue?.stop({ timeoutMs: 1_000 });
    await close?.();
    await database?.drop();
  });

  const harvest = async (draftsFromHarvest: boolean) => {
    const { run } = await createRun(database.db, connectionId, 'manual', null);
    const done = await executeRun({ database, keyring: testKeyring(), log: captureLogger().log, batchSize: 5, onStored: reactToHarvest(queue, { DRAFTS_FROM_HARVEST: draftsFromHarvest }) }, run.id, { lastAttempt: true, pollMs: 100 });
    expect(done?.status).toBe('succeeded');
  };
  const queued = async (name: string) =>
    (await database.db.execute<{ source_id: string }>(sql`SELECT data->>'sourceId' AS source_id FROM pgboss.job WHERE name = ${name} ORDER BY 1`)).rows.map((row) => row.source_id);
  const customerTicket = (subject: string) => zendesk.store.addTicket({ subject, body: `${subject}: please help, it still does not work.`, requester: { name: 'Ann Customer', email: 'ann@example.org' } });

  it('queues only tickets waiting for an answer, and only after the first harvest', async () => {
    await harvest(true);
    expect(await queued('draft.generate')).toEqual([]); // the backfill of history queues nothing

    customerTicket('Printer offline');
    await harvest(false);
    expect(await queued('draft.generate')).toEqual([]); // the setting is off

    const waiting = customerTicket('Login fails');
    const answered = customerTicket('Invoice copy');
    zendesk.store.addComment(answered, { authorId: answered.assigneeId ?? 1, body: 'Here is your invoice copy.', public: true });
    const solved = customerTicket('Thanks');
    solved.status = 'solved';
    const drafted = customerTicket('Refund');
    await database.db.insert(drafts).values({ connectionId, source: 'zendesk', sourceId: String(drafted.id), task: 'reply', status: 'posted' });
    await harvest(true);
    expect(await queued('draft.generate')).toEqual([String(waiting.id)]);
    expect(await queued('triage.apply')).toEqual([String(drafted.id), String(waiting.id)].sort());
  });
});
