/**
 * HubSpot as the real API behaves, against the sandbox: tickets harvested at the API minimum
 * (search with every property, v4 batch associations, batch reads; no read per ticket), HubSpot's
 * limits kept from its headers and the documented search rate (none refused, none early), closed
 * tickets in custom pipelines, drafts on inbox threads as internal COMMENTs, and triage written to
 * ticket properties. No database.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createHubSpotConnector } from '../../integrations/hubspot/connector.ts';
import { ticketStatus } from '../../integrations/hubspot/harvest/map-ticket.ts';
import { createHubSpotSandbox, SANDBOX_DEFAULTS, type HubSpotSandboxOptions } from '../../integrations/hubspot/sandbox/index.ts';
import { HubSpotWriteBack } from '../../integrations/hubspot/write-back.ts';
import type { Connector, Conversation, HarvestBatch } from '../../integrations/types.ts';

const TOKEN = { type: 'private_app', accessToken: SANDBOX_DEFAULTS.privateAppToken } as const;
const FAST_RETRY = { retryPolicy: { baseDelayMs: 2, maxDelayMs: 20 } };

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()?.();
});

async function startSandbox(options: HubSpotSandboxOptions) {
  const sandbox = createHubSpotSandbox({ seed: 21, ...options });
  const { url, close } = await sandbox.listen();
  closers.push(close);
  return { sandbox, url };
}

async function collect(connector: Connector): Promise<HarvestBatch[]> {
  const batches: HarvestBatch[] = [];
  for await (const batch of connector.harvest(null)) batches.push(batch);
  return batches;
}

const conversationsOf = (batches: HarvestBatch[]) => new Map<string, Conversation>(batches.flatMap((batch) => batch.conversations.map((c) => [c.sourceId, c] as const)));
const requestsOf = (batches: HarvestBatch[]) => batches.reduce((sum, batch) => sum + (batch.requests ?? 0), 0);

describe('HubSpot tickets at the API minimum', () => {
  it('harvests 5,000 tickets with ⌈N/200⌉ searches, three v4 association reads per 1,000 and batch reads, within 10 % of the table', async () => {
    const N = 5_000;
    const { sandbox, url } = await startSandbox({ conversations: N, inboxThreads: false, rateLimits: false });
    const batches = await collect(createHubSpotConnector({ baseUrl: url }, TOKEN, { ...FAST_RETRY, batchSize: 100 }));
    const byId = conversationsOf(batches);
    expect(byId.size).toBe(N);
    expect([...byId.values()].reduce((sum, c) => sum + c.messages.length, 0)).toBe(sandbox.store.messageCount);

    const tickets = [...sandbox.store.objects.tickets.values()];
    const emails = tickets.reduce((sum, t) => sum + (t.associations.emails?.length ?? 0), 0);
    const notes = tickets.reduce((sum, t) => sum + (t.associations.notes?.length ?? 0), 0);
    const contacts = new Set(tickets.flatMap((t) => t.associations.contacts ?? [])).size;
    const chunks = Math.ceil(N / 1000);
    // Searches (the last full page is followed by an empty one), associations, reads, owners,
    // pipelines, and the inbox threads list that finds no threads.
    const minimum = Math.ceil((N + 1) / 200) + 3 * chunks + Math.ceil(emails / 100) + Math.ceil(notes / 100) + Math.ceil(contacts / 100) + 3;
    const requests = requestsOf(batches);
    expect(requests).toBe(sandbox.store.requestLog.length);
    // Each 1,000-ticket chunk may end with a partial page of each of its three reads.
    expect(requests).toBeGreaterThanOrEqual(minimum);
    expect(requests).toBeLessThanOrEqual(minimum + 3 * chunks);
    // The table: ≈ 580 requests for 10,000 tickets.
    expect((requests / N) * 1000).toBeLessThanOrEqual(58 * 1.1);
    const paths = sandbox.store.requestLog.map((entry) => `${entry.method} ${entry.path}`);
    expect(paths.filter((path) => /^GET \/crm\/v3\/objects\/tickets\/\d+/.test(path))).toEqual([]);
    expect(paths.filter((path) => path.startsWith('POST /crm/v4/associations/tickets/'))).toHaveLength(3 * chunks);
    expect(sandbox.store.requestLog.filter((entry) => entry.path.endsWith('/search')).every((entry) => (entry.body as { limit?: number }).limit === 200)).toBe(true);
  });

  it('keeps to the rolling window from its headers and to five searches a second: none refused, none early', async () => {
    const { sandbox, url } = await startSandbox({ conversations: 600, limits: { perInterval: 60, intervalMs: 1_000 } });
    // Small pages, so the ticket phase makes more than five searches.
    const batches = await collect(createHubSpotConnector({ baseUrl: url, pageSize: 40 }, TOKEN, FAST_RETRY));
    expect(conversationsOf(batches).size).toBe(600);
    expect(sandbox.store.requestLog.filter((entry) => entry.path.endsWith('/search')).length).toBeGreaterThan(5);
    expect(sandbox.store.requestLog.every((entry) => entry.status < 400)).toBe(true);
    expect(sandbox.store.overLimit).toEqual([]);
    expect(sandbox.store.violations).toEqual([]);
  });

  it('skips, and counts, tickets deleted between the search and the reading of their messages', async () => {
    const { sandbox, url } = await startSandbox({ conversations: 30, inboxThreads: false, rateLimits: false, archiveAfterSearch: 2 });
    const warnings: Array<Record<string, unknown>> = [];
    const log = { debug: () => undefined, info: () => undefined, warn: (obj: object) => void warnings.push({ ...obj }) };
    const batches: HarvestBatch[] = [];
    for await (const batch of createHubSpotConnector({ baseUrl: url }, TOKEN, { ...FAST_RETRY, log }).harvest(null)) batches.push(batch);
    const byId = conversationsOf(batches);
    const archived = [...sandbox.store.objects.tickets.values()].filter((ticket) => ticket.archived).map((ticket) => `ticket:${ticket.id}`);
    expect(archived).toHaveLength(2);
    expect(byId.size).toBe(28);
    for (const id of archived) expect(byId.has(id)).toBe(false);
    expect(warnings).toContainEqual(expect.objectContaining({ vendor: 'hubspot', deleted: 2 }));
  });

  it('says "closed" for tickets in a closed stage of a custom pipeline, from the pipelines API (or closed_date without it)', async () => {
    const { sandbox, url } = await startSandbox({ conversations: 20, inboxThreads: false, rateLimits: false });
    const [resolved, working] = [...sandbox.store.objects.tickets.keys()];
    sandbox.store.moveTicket(resolved ?? '', '76543210', '98765003', { closedDate: false });
    sandbox.store.moveTicket(working ?? '', '76543210', '98765002');
    const byId = conversationsOf(await collect(createHubSpotConnector({ baseUrl: url }, TOKEN, FAST_RETRY)));
    expect(byId.get(`ticket:${resolved}`)?.status).toBe('closed');
    expect(byId.get(`ticket:${working}`)?.status).toBe('98765002');
    expect(sandbox.store.requestLog.filter((entry) => entry.path === '/crm/v3/pipelines/tickets')).toHaveLength(1);
    // Unknown pipelines (no access to them): closed_date tells.
    expect(ticketStatus({ hs_pipeline: '999', hs_pipeline_stage: '5', closed_date: '2025-02-01T00:00:00Z' }, new Map())).toBe('closed');
    expect(ticketStatus({ hs_pipeline: '999', hs_pipeline_stage: '5', closed_date: null }, new Map())).toBe('5');
  });
});

describe('HubSpot write-back as the real API takes it', () => {
  it('posts a draft on an inbox thread as an internal COMMENT, which reads back as an internal message', async () => {
    const { sandbox, url } = await startSandbox({ conversations: 10, rateLimits: false });
    const writeBack = new HubSpotWriteBack({ baseUrl: url }, TOKEN, FAST_RETRY);
    const thread = [...sandbox.store.threads.values()][0];
    if (!thread) throw new Error('no thread');
    const sourceId = `thread:${thread.id}`;
    expect(writeBack.unsupported(sourceId, 'reply')).toBeNull();
    expect(writeBack.unsupported(sourceId, 'triage')).toMatch(/ticket properties/);
    const marker = 'tuneloop-draft:th1';
    const { noteId } = await writeBack.postInternalNote(sourceId, `Suggested reply\n\n${marker}`, marker);
    const comment = thread.messages.find((message) => message.id === noteId);
    expect(comment).toMatchObject({ type: 'COMMENT', direction: null });
    expect(comment?.text).toContain(marker);
    const post = sandbox.store.requestLog.find((entry) => entry.method === 'POST' && entry.path.endsWith(`/threads/${thread.id}/messages`));
    expect(post?.body).toMatchObject({ type: 'COMMENT' });
    expect(await writeBack.findNote(sourceId, marker)).toBe(noteId);
    const conversation = await writeBack.fetchTicket(sourceId);
    expect(conversation.messages.find((message) => message.sourceId === noteId)).toMatchObject({ visibility: 'internal', authorRole: 'agent' });
  });

  it('writes triage to ticket properties: priority and mapped fields only while empty, never a value the property refuses', async () => {
    const { sandbox, url } = await startSandbox({ conversations: 10, inboxThreads: false, rateLimits: false });
    const writeBack = new HubSpotWriteBack({ baseUrl: url, triageProperties: { intent: 'support_intent', confidence: 'triage_confidence' } }, TOKEN, FAST_RETRY);
    const ticket = [...sandbox.store.objects.tickets.values()][0];
    if (!ticket) throw new Error('no ticket');
    ticket.properties.hs_ticket_priority = null;
    const outcome = await writeBack.applyTriage(`ticket:${ticket.id}`, { tags: ['refund'], priority: 'urgent', fields: { intent: 'get_refund', confidence: '0.87', language: 'en' } });
    expect(outcome.applied.sort()).toEqual(['field:confidence', 'priority']);
    expect(outcome.skipped).toEqual(expect.arrayContaining([expect.stringMatching(/^tags/), expect.stringMatching(/^intent: support_intent already set/), expect.stringMatching(/^language/)]));
    expect(ticket.properties).toMatchObject({ hs_ticket_priority: 'URGENT', triage_confidence: '0.87' });
    const patch = sandbox.store.requestLog.find((entry) => entry.method === 'PATCH');
    expect(patch?.body).toEqual({ properties: { hs_ticket_priority: 'URGENT', triage_confidence: '0.87' } });
    expect(await writeBack.applyTriage(`ticket:${ticket.id}`, { tags: [], priority: 'low', fields: { confidence: '0.1' } })).toEqual({ applied: [], skipped: ['priority: already set', 'confidence: triage_confidence already set'] });
    expect((await writeBack.applyTriage(`ticket:${ticket.id}`, { tags: [], priority: 'critical', fields: {} })).skipped).toEqual(['priority: "critical" is not a HubSpot ticket priority']);
  });
});
