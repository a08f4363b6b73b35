/**
 * The Zendesk harvest at the API's minimum, against the sandbox with Zendesk's real limits: the
 * ticket export plus the ticket event export with comment events (no comments call per ticket),
 * the same conversations List Comments gives, the limits read from the answers' headers and never
 * exceeded, cut-off answers retried, tickets that change mid-harvest read again, and an expired
 * export cursor explained with its fix. No database.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createZendeskConnector } from '../../integrations/zendesk/connector.ts';
import { createZendeskSandbox, SANDBOX_DEFAULTS, type ZendeskSandboxOptions } from '../../integrations/zendesk/sandbox/index.ts';
import { ZendeskWriteBack } from '../../integrations/zendesk/write-back.ts';
import { VendorError, type Connector, type Conversation, type Cursor, type HarvestBatch } from '../../integrations/types.ts';

const API_TOKEN = { type: 'api_token', email: SANDBOX_DEFAULTS.email, token: SANDBOX_DEFAULTS.apiToken } as const;
const FAST_RETRY = { retryPolicy: { baseDelayMs: 2, maxDelayMs: 20 } };

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()?.();
});

async function startSandbox(options: ZendeskSandboxOptions) {
  const sandbox = createZendeskSandbox({ seed: 13, ...options });
  const { url, close } = await sandbox.listen();
  closers.push(close);
  return { sandbox, url };
}

async function collect(connector: Connector, cursor: Cursor | null = null, onBatch?: (index: number) => void): Promise<HarvestBatch[]> {
  const batches: HarvestBatch[] = [];
  for await (const batch of connector.harvest(cursor)) {
    batches.push(batch);
    onBatch?.(batches.length);
  }
  return batches;
}

function conversationsOf(batches: HarvestBatch[]): Map<string, Conversation> {
  const byId = new Map<string, Conversation>();
  for (const batch of batches) for (const conversation of batch.conversations) byId.set(conversation.sourceId, conversation);
  return byId;
}

const updatesIn = (sandbox: { store: { tickets: Map<number, { comments: unknown[] }> } }) => [...sandbox.store.tickets.values()].reduce((sum, ticket) => sum + ticket.comments.length, 0);

describe('Zendesk harvest at the API minimum', () => {
  it('keeps to 10 export calls a window and the account limit from the headers alone: none refused, none early', async () => {
    // 1,200 tickets in pages of 100 and their ~4,000 updates: 16 export calls against 10 a window.
    const { sandbox, url } = await startSandbox({ tickets: 1_200, limits: { windowMs: 2_000 } });
    const connector = createZendeskConnector({ baseUrl: url, perPage: 100 }, API_TOKEN, { ...FAST_RETRY, batchSize: 100 });
    const started = Date.now();
    const batches = await collect(connector);
    expect(conversationsOf(batches).size).toBe(1_200);
    const log = sandbox.store.requestLog;
    expect(log.filter((entry) => entry.path.includes('/incremental/')).length).toBe(12 + Math.ceil(updatesIn(sandbox) / 1000));
    expect(log.every((entry) => entry.status === 200)).toBe(true);
    expect(sandbox.store.overLimit).toEqual([]);
    expect(sandbox.store.violations).toEqual([]);
    // It had to wait for at least one window to reset.
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
    expect(batches.reduce((sum, batch) => sum + (batch.requests ?? 0), 0)).toBe(log.length);
  });

  it('gives the conversations List Comments gives, also for tickets that change while it runs', async () => {
    const { sandbox, url } = await startSandbox({ tickets: 400, rateLimits: false });
    const connector = createZendeskConnector({ baseUrl: url, perPage: 100 }, API_TOKEN, { ...FAST_RETRY, batchSize: 50 });
    // After the first batch, three tickets the harvest has not reached yet get a customer reply.
    const changed = [250, 300, 350];
    const batches = await collect(connector, null, (index) => {
      if (index !== 1) return;
      for (const id of changed) {
        const ticket = sandbox.store.tickets.get(id);
        if (ticket) sandbox.store.addComment(ticket, { authorId: ticket.requesterId, body: 'One more thing.', public: true });
      }
    });
    const harvested = conversationsOf(batches);
    expect(harvested.size).toBe(400);
    // The changed tickets were read again with List Comments (their newest comment is not exported yet).
    const comments = sandbox.store.requestLog.filter((entry) => entry.path.endsWith('/comments.json')).map((entry) => Number(entry.path.split('/')[4]));
    expect(comments.sort()).toEqual([...changed].sort());
    const writeBack = new ZendeskWriteBack({ baseUrl: url }, API_TOKEN);
    for (const id of [1, 2, 7, 99, 150, 201, ...changed, 399, 400]) {
      expect(harvested.get(String(id)), `ticket ${id}`).toEqual(await writeBack.fetchTicket(String(id)));
    }
  });

  it('retries answers cut off half-way and 5xx in the middle of the event export', async () => {
    const { sandbox, url } = await startSandbox({ tickets: 600, rateLimits: false });
    const connector = createZendeskConnector({ baseUrl: url, perPage: 200 }, API_TOKEN, { ...FAST_RETRY, batchSize: 100 });
    const batches = await collect(connector, null, (index) => {
      if (index === 1) sandbox.setFaults({ partialBodies: 2 });
      if (index === 3) sandbox.setFaults({ errorBurst: 2, errorStatus: 502 });
    });
    expect(conversationsOf(batches).size).toBe(600);
    expect([...conversationsOf(batches).values()].reduce((sum, c) => sum + c.messages.length, 0)).toBe(updatesIn(sandbox));
    expect(sandbox.store.requestLog.filter((entry) => entry.status === 502).length).toBe(2);
  });

  it('explains an export cursor Zendesk refuses as expired, naming the fix, and the fix works', async () => {
    const { sandbox, url } = await startSandbox({ tickets: 150, rateLimits: false });
    const connector = createZendeskConnector({ baseUrl: url }, API_TOKEN, FAST_RETRY);
    const first = await collect(connector);
    const final = first.at(-1)?.cursor;
    if (!final) throw new Error('no cursor');
    sandbox.store.expireCursors();
    const error = await collect(connector, final).then(() => null, (thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(VendorError);
    expect((error as VendorError).retryable).toBe(false);
    const eventsFrom = (final as { eventsFrom?: number }).eventsFrom;
    expect((error as VendorError).message).toContain(`Start a new backfill from a time: set the connection's cursor to {"startTime": ${eventsFrom}}`);
    expect((error as VendorError).message).toContain('expired');

    const touched = sandbox.store.touchTickets(2);
    const again = conversationsOf(await collect(connector, { startTime: eventsFrom ?? 0 }));
    for (const id of touched) expect(again.get(String(id))?.messages.at(-1)?.body).toBe('Any news on this? I am still waiting for an answer.');
  });
});
