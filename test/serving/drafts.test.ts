/**
 * Drafts and triage end to end: real Postgres and pg-boss, the Zendesk and Salesforce sandboxes
 * through the real SDKs, a loopback OpenAI-protocol model server (test/support/fake-model-server.ts).
 * Jobs are taken from the queue with fetch() and run by the registered handlers, and completed or
 * failed as a pg-boss worker would, so each step is deterministic and nothing waits on time.
 */
import { randomUUID } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSalesforceSandbox } from '../../integrations/salesforce/sandbox/index.ts';
import { createZendeskSandbox, SANDBOX_DEFAULTS } from '../../integrations/zendesk/sandbox/index.ts';
import type { StoredTicket } from '../../integrations/zendesk/sandbox/store.ts';
import { createApp } from '../../src/app.ts';
import { createToken } from '../../src/auth/tokens.ts';
import { loadConfig } from '../../src/config.ts';
import { drafts, models } from '../../src/db/schema/index.ts';
import { executeRun } from '../../src/harvest/execute.ts';
import { createRun } from '../../src/harvest/runs.ts';
import { HANDLERS } from '../../src/jobs/handlers.ts';
import type { HubDeps } from '../../src/deps.ts';
import { forgetServingState } from '../../src/models/registry/registry.ts';
import { parseJobPayload, type JobName } from '../../src/queue/jobs.ts';
import { startQueue, type JobHandler, type Queue } from '../../src/queue/queue.ts';
import { saveEndpoint } from '../../src/webhooks/secrets.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { startFakeModelServer, type ChatBody, type FakeModelServer } from '../support/fake-model-server.ts';
import { addConnection, testKeyring } from '../support/harvest.ts';
import { captureLogger } from '../support/logger.ts';
import { zendeskRequest } from '../webhooks/helpers.ts';
import { openArtifactStore } from '../../src/artifacts/index.ts';
import { reactToHarvest } from '../../src/serving/on-harvest.ts';

const DRAFT = 'Hello Ann, I have refunded order 123 to your card; it shows within 5 business days.';
const TRIAGE = { intent: 'refund_request', priority: 'high', language: 'en', category: 'billing', confidence: 0.92 };
const CONFIDENCE_FIELD = 9001;

describe('drafts and triage written back', () => {
  let database: TestDatabase;
  let queue: Queue;
  let deps: HubDeps;
  let model: FakeModelServer;
  const zendesk = createZendeskSandbox({ seed: 21, tickets: 4 });
  const salesforce = createSalesforceSandbox({ seed: 22, cases: 2, apiLimit: 1_000_000 });
  let closeZendesk: () => Promise<void>;
  let closeSalesforce: () => Promise<void>;
  let zendeskId = '';
  let salesforceId = '';
  const handlers: { draft?: JobHandler<'draft.generate'>; triage?: JobHandler<'triage.apply'>; feedback?: JobHandler<'draft.feedback'> } = {};

  beforeAll(async () => {
    database = await createTestDatabase();
    queue = await startQueue({ url: database.url, schema: 'pgboss', log: captureLogger().log });
    model = await startFakeModelServer({ reply: (body: ChatBody) => (body.response_format?.type === 'json_object' ? JSON.stringify(TRIAGE) : DRAFT) });
    const zd = await zendesk.listen();
    closeZendesk = zd.close;
    const sf = await salesforce.listen();
    closeSalesforce = sf.close;
    // No retries inside the inference client: a down server fails the attempt at once.
    const config = loadConfig({ DATABASE_URL: database.url, INFERENCE_BASE_URL: model.url, INFERENCE_MAX_RETRIES: '0', INFERENCE_BREAKER_FAILURES: '100' });
    deps = { database, queue, log: captureLogger().log, config, keyring: testKeyring(), artifacts: openArtifactStore(config) };
    handlers.draft = HANDLERS['draft.generate']?.(deps);
    handlers.triage = HANDLERS['triage.apply']?.(deps);
    handlers.feedback = HANDLERS['draft.feedback']?.(deps);

    zendeskId = (await addConnection(database, { vendor: 'zendesk', name: 'zd', settings: { baseUrl: zd.url, triageConfidenceFieldId: CONFIDENCE_FIELD }, credentials: { type: 'api_token', email: SANDBOX_DEFAULTS.email, token: SANDBOX_DEFAULTS.apiToken } })).id;
    const { credentials } = salesforce;
    salesforceId = (await addConnection(database, { vendor: 'salesforce', name: 'sf', settings: { instanceUrl: sf.url }, credentials: { type: 'password', username: credentials.username, password: credentials.password, securityToken: credentials.securityToken } })).id;
  });
  afterAll(async () => {
    await queue.stop({ timeoutMs: 2_000 });
    await model.close();
    await closeZendesk();
    await closeSalesforce();
    await database.drop();
  });

  /** Runs every queued job of `name` as a worker would: complete on success, fail (→ retry) on a throw. */
  async function drain<N extends JobName>(name: N, handler: JobHandler<N> | undefined): Promise<{ completed: number; failed: string[] }> {
    if (!handler) throw new Error(`no handler registered for ${name}`);
    return queue.drain(name, handler);
  }

  const send = (name: 'draft.generate' | 'triage.apply', connectionId: string, sourceId: string) => queue.send(name, { connectionId, sourceId, deliveryId: randomUUID() });
  const newTicket = () => zendesk.store.addTicket({ subject: 'Refund for order 123', body: 'Hello, I returned order 123 last week. When do I get my money back?', requester: { name: 'Ann Customer', email: 'ann@example.org' } });
  const notesOf = (ticket: StoredTicket) => ticket.comments.filter((comment) => !comment.public && comment.body.includes('— tuneloop draft'));
  const rowsFor = (connectionId: string, sourceId: string) => database.db.select().from(drafts).where(and(eq(drafts.connectionId, connectionId), eq(drafts.sourceId, sourceId))).orderBy(drafts.task);
  let productionId = '';

  it('without a production model, the attempt is recorded as skipped and nothing is posted', async () => {
    const ticket = newTicket();
    await send('draft.generate', zendeskId, String(ticket.id));
    expect(await drain('draft.generate', handlers.draft)).toEqual({ completed: 1, failed: [] });
    const [row] = await rowsFor(zendeskId, String(ticket.id));
    expect([row?.status, row?.reason]).toEqual(['skipped', 'no production model for the reply task']);
    expect(notesOf(ticket)).toEqual([]);
    // The webhook's ticket is stored as a harvest would, and its message queued for the compliance scan.
    const scans = await database.db.execute<{ n: number }>(sql`
      SELECT count(*)::int AS n FROM pgboss.job j JOIN messages m ON m.id = (j.data->>'messageId')::bigint
      JOIN conversations c ON c.id = m.conversation_id WHERE j.name = 'compliance.scan' AND c.source_id = ${String(ticket.id)}`);
    expect(scans.rows[0]?.n).toBe(1);

    for (const task of ['reply', 'triage']) {
      const [created] = await database.db.insert(models).values({ task, backend: 'local', baseModel: 'base', status: 'production' }).returning();
      if (task === 'reply') productionId = created?.id ?? '';
      // The registry caches "no production model" for up to a second; this process just changed it.
      forgetServingState(database.db, task);
    }
  });

  let ticket: StoredTicket;

  it('a new Zendesk ticket gets exactly one internal note and its triage; 10 replays of each job change nothing', async () => {
    ticket = newTicket();
    await send('draft.generate', zendeskId, String(ticket.id));
    await send('triage.apply', zendeskId, String(ticket.id));
    expect(await drain('draft.generate', handlers.draft)).toEqual({ completed: 1, failed: [] });
    expect(await drain('triage.apply', handlers.triage)).toEqual({ completed: 1, failed: [] });

    const [note] = notesOf(ticket);
    expect(notesOf(ticket)).toHaveLength(1);
    expect(note?.body.startsWith(DRAFT)).toBe(true);
    expect(note?.body).toMatch(new RegExp(`— tuneloop draft · model ${productionId} · ref tl-[0-9a-f]{16}$`));
    expect(ticket.tags).toEqual(expect.arrayContaining(['intent_refund_request', 'lang_en']));
    expect(ticket.priority).toBe('high');
    expect(ticket.customFields.find((field) => field.id === CONFIDENCE_FIELD)?.value).toBe('0.92');

    const [reply, triage] = await rowsFor(zendeskId, String(ticket.id));
    expect([reply?.task, reply?.status, reply?.modelId, reply?.arm, reply?.noteId, reply?.text]).toEqual(['reply', 'posted', productionId, 'production', String(note?.id), DRAFT]);
    expect([triage?.task, triage?.status, triage?.confidence]).toEqual(['triage', 'posted', expect.closeTo(0.92, 5)]);
    expect(JSON.parse(triage?.text ?? '{}').applied).toEqual(['tag:intent_refund_request', 'tag:lang_en', 'priority', 'field:confidence']);

    const chatsBefore = model.chats.length;
    for (let i = 0; i < 10; i++) {
      await send('draft.generate', zendeskId, String(ticket.id));
      await send('triage.apply', zendeskId, String(ticket.id));
    }
    // The queue keeps one job per ticket queued (src/queue/policies.ts): the copies are refused.
    expect(await drain('draft.generate', handlers.draft)).toEqual({ completed: 1, failed: [] });
    expect(await drain('triage.apply', handlers.triage)).toEqual({ completed: 1, failed: [] });
    expect(notesOf(ticket)).toHaveLength(1);
    expect(model.chats.length).toBe(chatsBefore);
    expect((await rowsFor(zendeskId, String(ticket.id))).map((row) => [row.id, row.status])).toEqual([
      [reply?.id, 'posted'],
      [triage?.id, 'posted'],
    ]);
  });

  it('a signed Zendesk webhook replayed 10 times, and later deliveries for the same ticket: still one note', async () => {
    const fresh = newTicket();
    const secret = 'test-zendesk-signing-secret-0123456789';
    await saveEndpoint(database.db, testKeyring(), { connectionId: zendeskId, secret }, 'test');
    const app = createApp({ ...deps });
    const body = JSON.stringify({ tuneloop: 1, event: 'ticket.end_user_update', ticket_id: String(fresh.id), updated_at: new Date().toISOString() });
    const init = zendeskRequest(secret, body, { invocationId: randomUUID() });
    for (let i = 0; i < 10; i++) expect((await app.request(`/webhooks/zendesk/${zendeskId}`, { ...init })).status).toBe(200);
    // The customer writes again: new deliveries, and the ticket already has its note.
    for (let i = 0; i < 3; i++) {
      const later = JSON.stringify({ tuneloop: 1, event: 'ticket.end_user_update', ticket_id: String(fresh.id), updated_at: new Date(Date.now() + 1000 * (i + 1)).toISOString() });
      expect((await app.request(`/webhooks/zendesk/${zendeskId}`, zendeskRequest(secret, later))).status).toBe(200);
    }
    // Replays are dropped by the delivery table; the later deliveries' jobs by the queue (one per ticket queued).
    expect(await drain('draft.generate', handlers.draft)).toEqual({ completed: 1, failed: [] });
    expect(await drain('triage.apply', handlers.triage)).toEqual({ completed: 1, failed: [] });
    expect(notesOf(fresh)).toHaveLength(1);
    expect(fresh.tags).toEqual(expect.arrayContaining(['intent_refund_request', 'lang_en']));
  });

  it('a Salesforce Case gets one unpublished CaseComment', async () => {
    const caseId = salesforce.store.addCase();
    salesforce.store.update(caseId, { Status: 'New' });
    salesforce.store.touchCase(caseId); // the customer wrote last: the case waits for a reply
    for (let i = 0; i < 3; i++) await send('draft.generate', salesforceId, caseId);
    expect(await drain('draft.generate', handlers.draft)).toEqual({ completed: 1, failed: [] });
    const comments = [...salesforce.store.rows('CaseComment')].filter((row) => row.ParentId === caseId && String(row.CommentBody).includes('tuneloop draft'));
    expect(comments.map((row) => row.IsPublished)).toEqual([false]);
    const [row] = await rowsFor(salesforceId, caseId);
    expect([row?.status, row?.noteId]).toEqual(['posted', comments[0]?.Id]);
  });

  it('model server down: no note, the job goes back for a retry and posts once the server is back', async () => {
    const next = newTicket();
    model.failWith(503);
    await send('draft.generate', zendeskId, String(next.id));
    const first = await drain('draft.generate', handlers.draft);
    expect(first.completed).toBe(0);
    expect(first.failed).toHaveLength(1);
    const job = await queue.job('draft.generate', first.failed[0] ?? '');
    expect(job?.state).toBe('retry');
    expect(notesOf(next)).toEqual([]);
    const [failed] = await rowsFor(zendeskId, String(next.id));
    expect([failed?.status, failed?.reason?.startsWith('model unavailable')]).toEqual(['failed', true]);

    model.failWith(null);
    // pg-boss would start the retry after its backoff; here the same job is run again at once.
    await handlers.draft?.(parseJobPayload('draft.generate', job?.data), { id: job?.id ?? '', signal: new AbortController().signal, retryCount: 1 });
    expect(notesOf(next)).toHaveLength(1);
    expect((await rowsFor(zendeskId, String(next.id)))[0]?.status).toBe('posted');
  });

  it('an unknown ticket fails clearly, once, without a retry', async () => {
    const before = zendesk.store.requestLog.length;
    await send('draft.generate', zendeskId, '987654');
    await send('triage.apply', zendeskId, '987654');
    expect(await drain('draft.generate', handlers.draft)).toEqual({ completed: 1, failed: [] });
    expect(await drain('triage.apply', handlers.triage)).toEqual({ completed: 1, failed: [] });
    const rows = await rowsFor(zendeskId, '987654');
    expect(rows.map((row) => [row.task, row.status])).toEqual([['reply', 'failed'], ['triage', 'failed']]);
    expect(rows[0]?.reason).toMatch(/not found \(404\) when trying to read ticket 987654/);
    const calls = zendesk.store.requestLog.slice(before).filter((entry) => entry.path.includes('987654'));
    expect(calls.map((entry) => [entry.method, entry.status])).toEqual([['GET', 404], ['GET', 404]]);
  });

  it('a 429 on posting: retried after Retry-After, still one note', async () => {
    const next = newTicket();
    const putsBefore = zendesk.store.requestLog.filter((entry) => entry.method === 'PUT').length;
    // The next two PUTs (the note) are refused with Retry-After; reads go through.
    zendesk.setFaults({ faultMethods: ['PUT'], rateLimitNext: 2, retryAfterSeconds: 0.05 });
    await send('draft.generate', zendeskId, String(next.id));
    expect(await drain('draft.generate', handlers.draft)).toEqual({ completed: 1, failed: [] });
    zendesk.setFaults({ faultMethods: null });
    expect(notesOf(next)).toHaveLength(1);
    const puts = zendesk.store.requestLog.filter((entry) => entry.method === 'PUT').slice(putsBefore);
    expect(puts.map((entry) => entry.status)).toEqual([429, 429, 200]);
    expect(zendesk.store.violations).toEqual([]);
  });

  it('a solved ticket: the agent\'s final reply is compared with the draft, and acceptance shows per model', async () => {
    // The agent sends the draft with a small edit and solves the ticket; the harvest stores it.
    zendesk.store.addComment(ticket, { authorId: zendesk.store.apiUserId, body: `${DRAFT} Kind regards, Sam`, public: true });
    ticket.status = 'solved';
    const { run } = await createRun(database.db, zendeskId, 'manual', null);
    await executeRun({ database, onStored: reactToHarvest(queue, deps.config), keyring: testKeyring(), log: captureLogger().log, batchSize: 50 }, run.id, { lastAttempt: true, pollMs: 100 });
    expect(await drain('draft.feedback', handlers.feedback)).toEqual({ completed: 1, failed: [] });
    const [reply] = await rowsFor(zendeskId, String(ticket.id));
    expect(reply?.finalReply).toBe(`${DRAFT} Kind regards, Sam`);
    expect(reply?.similarity).toBeGreaterThan(0.8);
    expect(reply?.accepted).toBe(true);

    const app = createApp({ ...deps });
    const headers = { Authorization: `Bearer ${(await createToken(database.db, 'reader', 'test')).token}` };
    const stats = (await (await app.request('/api/v1/drafts/stats?task=reply', { headers })).json()) as { data: Array<Record<string, unknown>> };
    expect(stats.data).toEqual([{ modelId: productionId, task: 'reply', posted: 5, judged: 1, accepted: 1, acceptanceRate: 1, meanSimilarity: expect.any(Number) }]);
    const list = (await (await app.request(`/api/v1/drafts?connectionId=${zendeskId}&status=failed`, { headers })).json()) as { data: Array<{ sourceId: string; task: string }> };
    expect(list.data.map((row) => [row.sourceId, row.task]).sort()).toEqual([['987654', 'reply'], ['987654', 'triage']]);
    expect((await app.request('/api/v1/drafts?task=nope', { headers })).status).toBe(400);
    expect((await app.request('/api/v1/drafts/stats')).status).toBe(401);
  });
});
