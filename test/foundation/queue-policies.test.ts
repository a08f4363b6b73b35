/**
 * Duplicate suppression by queue policy (src/queue/policies.ts): pg-boss ignores singletonKey on
 * standard queues, so the queues that need it are created `exclusive` or `stately`, keyed from the
 * payload. A duplicate is refused (send answers null, a batch insert skips it), a key is free
 * again once its job has finished, and a queue created standard before gets its policy at start.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUEUE_POLICIES } from '../../src/queue/policies.ts';
import { startQueue, type Queue } from '../../src/queue/queue.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { captureLogger } from '../support/logger.ts';

describe('queue policies refuse duplicates', () => {
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

  const open = async (name: string, key: string) => {
    const result = await database.db.execute<{ count: number }>(sql`SELECT count(*)::int AS count FROM pgboss.job WHERE name = ${name} AND singleton_key = ${key} AND state IN ('created', 'retry', 'active')`);
    return result.rows[0]?.count ?? 0;
  };

  it('creates each listed queue with its policy', async () => {
    const result = await database.db.execute<{ name: string; policy: string }>(sql`SELECT name, policy FROM pgboss.queue`);
    const policies = Object.fromEntries(result.rows.map((row) => [row.name, row.policy]));
    for (const [name, entry] of Object.entries(QUEUE_POLICIES)) expect(policies[name], name).toBe(entry.policy);
    expect(policies['slack.notify']).toBe('standard');
  });

  it('exclusive: a second harvest.run for the same run is refused until the first has finished', async () => {
    const harvestId = randomUUID();
    expect(await queue.send('harvest.run', { harvestId })).toBeTruthy();
    expect(await queue.send('harvest.run', { harvestId })).toBeNull();
    // Inside a transaction too (the way runs are created).
    await database.db.transaction(async (tx) => {
      expect(await queue.send('harvest.run', { harvestId }, { tx })).toBeNull();
    });
    expect(await open('harvest.run', harvestId)).toBe(1);
    // Another run is not affected.
    expect(await queue.send('harvest.run', { harvestId: randomUUID() })).toBeTruthy();

    // While it runs, still refused; once completed, the key is free.
    let duringRun: string | null | undefined;
    const outcome = await queue.drain('harvest.run', async (payload) => {
      if ('harvestId' in payload && payload.harvestId === harvestId) duringRun = await queue.send('harvest.run', { harvestId });
    });
    expect(outcome.completed).toBe(2);
    expect(duringRun).toBeNull();
    expect(await queue.send('harvest.run', { harvestId })).toBeTruthy();
  });

  it('stately: for one ticket, one draft job queued while one runs; further copies refused, batches skip them', async () => {
    const ticket = { connectionId: randomUUID(), sourceId: '4242' };
    const key = `${ticket.connectionId}:${ticket.sourceId}`;
    // Three webhook deliveries about the ticket (different delivery ids): one job.
    for (let i = 0; i < 3; i++) await queue.send('draft.generate', { ...ticket, deliveryId: randomUUID() });
    expect(await open('draft.generate', key)).toBe(1);
    // A batch insert with copies of it (and another ticket) does not fail its transaction.
    const other = { connectionId: ticket.connectionId, sourceId: '4343' };
    await database.db.transaction(async (tx) => {
      await queue.sendMany('draft.generate', [{ payload: ticket }, { payload: other }, { payload: other }], { tx });
    });
    expect(await open('draft.generate', key)).toBe(1);
    expect(await open('draft.generate', `${other.connectionId}:${other.sourceId}`)).toBe(1);

    // While the ticket's job runs, one more may queue (a message that arrived meanwhile), not two.
    const during: Array<string | null> = [];
    await queue.drain('draft.generate', async (payload) => {
      if (payload.sourceId !== ticket.sourceId || during.length) return;
      during.push(await queue.send('draft.generate', ticket), await queue.send('draft.generate', ticket));
    });
    expect(during[0]).toBeTruthy();
    expect(during[1]).toBeNull();
  });

  it('a queue created standard before the policy gets it at start; new jobs are then refused as duplicates', async () => {
    await database.db.execute(sql`UPDATE pgboss.queue SET policy = 'standard' WHERE name = 'dataset.build'`);
    const restarted = await startQueue({ url: database.url, schema: 'pgboss', log: captureLogger().log });
    try {
      const [row] = (await database.db.execute<{ policy: string }>(sql`SELECT policy FROM pgboss.queue WHERE name = 'dataset.build'`)).rows;
      expect(row?.policy).toBe('exclusive');
      const datasetVersionId = randomUUID();
      expect(await restarted.send('dataset.build', { datasetVersionId })).toBeTruthy();
      expect(await restarted.send('dataset.build', { datasetVersionId })).toBeNull();
    } finally {
      await restarted.stop({ timeoutMs: 2_000 });
    }
  });
});
