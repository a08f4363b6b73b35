/**
 * Draft batches over a harvested Zendesk backlog, on a real Postgres and pg-boss: only open tickets
 * without a write-back are queued (one job per ticket and task), a second batch does not queue
 * tickets whose jobs are still waiting, progress counts the tickets' drafts rows, and the API
 * refuses bad input without queuing anything.
 */
import { and, eq, inArray, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createZendeskSandbox, SANDBOX_DEFAULTS } from '../../integrations/zendesk/sandbox/index.ts';
import { createApp } from '../../src/app.ts';
import { createToken } from '../../src/auth/tokens.ts';
import { conversations, drafts } from '../../src/db/schema/index.ts';
import { startQueue, type Queue } from '../../src/queue/queue.ts';
import { batchProgress, CLOSED_STATUSES, createBatch } from '../../src/serving/batch/batches.ts';
import { testDeps } from '../support/app.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { addConnection, harvestNow } from '../support/harvest.ts';
import { captureLogger } from '../support/logger.ts';

describe('draft batches', () => {
  let database: TestDatabase;
  let queue: Queue;
  const zendesk = createZendeskSandbox({ seed: 11, tickets: 40 });
  let server: { url: string; close(): Promise<void> };
  let connectionId: string;
  let openTickets: string[];

  beforeAll(async () => {
    database = await createTestDatabase();
    queue = await startQueue({ url: database.url, schema: 'pgboss', log: captureLogger().log });
    server = await zendesk.listen();
    const connection = await addConnection(database, { vendor: 'zendesk', name: 'zd', settings: { baseUrl: server.url }, credentials: { type: 'api_token', email: SANDBOX_DEFAULTS.email, token: SANDBOX_DEFAULTS.apiToken } });
    connectionId = connection.id;
    expect((await harvestNow(database, connectionId))?.status).toBe('succeeded');
    const rows = await database.db.select({ sourceId: conversations.sourceId, status: conversations.status }).from(conversations).where(eq(conversations.connectionId, connectionId));
    openTickets = rows.filter((row) => !CLOSED_STATUSES.includes((row.status ?? '').toLowerCase())).map((row) => row.sourceId);
    expect(openTickets.length).toBeGreaterThan(0);
    expect(openTickets.length).toBeLessThan(rows.length); // the sandbox has solved tickets too
  });

  afterAll(async () => {
    await queue?.stop({ timeoutMs: 1_000 });
    await server?.close();
    await database?.drop();
  });

  const queued = async (name: string) =>
    (await database.db.execute<{ source_id: string }>(sql`SELECT data->>'sourceId' AS source_id FROM pgboss.job WHERE name = ${name} AND state = 'created'`)).rows.map((row) => row.source_id);

  it('queues one job per open ticket and task, and never the same ticket twice while it waits', async () => {
    const done = openTickets.slice(0, 2);
    await database.db.insert(drafts).values(done.map((sourceId) => ({ connectionId, source: 'zendesk', sourceId, task: 'reply' as const, status: 'posted' as const })));

    const batch = await createBatch(database.db, queue, { connectionId, tasks: ['reply', 'triage'], createdBy: 'test' });
    const replyJobs = await queued('draft.generate');
    const triageJobs = await queued('triage.apply');
    expect(new Set(replyJobs)).toEqual(new Set(openTickets.slice(2)));
    // triage has no rows yet, but a ticket stays in the batch while any requested task is pending
    expect(new Set(triageJobs)).toEqual(new Set(openTickets));
    expect(batch.tickets).toBe(openTickets.length);

    const again = await createBatch(database.db, queue, { connectionId, tasks: ['reply'], createdBy: 'test' });
    expect(again.tickets).toBe(0);
    expect((await queued('draft.generate')).length).toBe(replyJobs.length);

    const progress = await batchProgress(database.db, batch);
    expect(progress.tasks.reply).toEqual({ done: 2, posted: 2, skipped: 0, failed: 0 });
    expect(progress.tasks.triage?.done).toBe(0);
    expect(progress.done).toBe(false);

    const rest = openTickets.slice(2);
    await database.db.insert(drafts).values(rest.map((sourceId) => ({ connectionId, source: 'zendesk', sourceId, task: 'reply' as const, status: 'skipped' as const })));
    await database.db.insert(drafts).values(openTickets.map((sourceId) => ({ connectionId, source: 'zendesk', sourceId, task: 'triage' as const, status: 'failed' as const })));
    const finished = await batchProgress(database.db, batch);
    expect(finished.done).toBe(true);
    expect(finished.tasks.reply).toEqual({ done: openTickets.length, posted: 2, skipped: rest.length, failed: 0 });
    await database.db.delete(drafts).where(and(eq(drafts.connectionId, connectionId), inArray(drafts.sourceId, openTickets)));
  });

  it('API: 202 with progress; bad input and unknown or unsupported connections queue nothing', async () => {
    const deps = testDeps(database, queue);
    const app = createApp(deps);
    const headers = { Authorization: `Bearer ${(await createToken(database.db, 'api', 'test')).token}`, 'Content-Type': 'application/json' };
    const post = (body: unknown) => app.request('/api/v1/draft-batches', { method: 'POST', headers, body: JSON.stringify(body) });
    const before = (await queued('draft.generate')).length;

    for (const body of [{}, { connectionId: 'nope' }, { connectionId, tasks: ['poetry'] }, { connectionId, limit: 0 }, { connectionId, extra: 1 }]) {
      expect((await post(body)).status, JSON.stringify(body)).toBe(400);
    }
    const unknown = await post({ connectionId: '00000000-0000-4000-8000-000000000000' });
    expect(unknown.status).toBe(404);
    const slack = await addConnection(database, { vendor: 'slack', name: 'sl', settings: { channels: ['C0SUPPORT01'] }, credentials: { type: 'bot_token', token: 'xoxb-test' } });
    const unsupported = await post({ connectionId: slack.id });
    expect(unsupported.status).toBe(422);
    expect(await unsupported.text()).toMatch(/slack connections take no drafts/);
    expect((await queued('draft.generate')).length).toBe(before);

    // The first test's reply jobs still wait, except for the two tickets that had drafts then
    // (their rows were removed since): only those two are queued now.
    const created = await post({ connectionId, tasks: ['reply'], limit: 5 });
    expect(created.status).toBe(202);
    const body = (await created.json()) as { id: string; tickets: number; progress: { done: boolean } };
    expect(body.tickets).toBe(2);
    expect((await queued('draft.generate')).length).toBe(before + 2);
    const read = await app.request(`/api/v1/draft-batches/${body.id}`, { headers });
    expect(read.status).toBe(200);
    expect(((await read.json()) as { progress: { done: boolean; tasks: { reply: { done: number } } } }).progress).toMatchObject({ done: false, tasks: { reply: { done: 0 } } });
    expect((await app.request('/api/v1/draft-batches/not-a-uuid', { headers })).status).toBe(400);
  });
});
