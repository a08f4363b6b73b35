/**
 * The vendor write-back actions against the loopback sandboxes, through the real SDKs (node-zendesk,
 * jsforce): one internal note per marker whatever is retried, 429 and 5xx on the write path,
 * additive triage that leaves an agent's values alone, unknown tickets. No database.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { writeBackFactory } from '../../integrations/registry.ts';
import { createHubSpotSandbox, SANDBOX_DEFAULTS as HUBSPOT_DEFAULTS } from '../../integrations/hubspot/sandbox/index.ts';
import { createSalesforceSandbox } from '../../integrations/salesforce/sandbox/index.ts';
import { VendorError, type WriteBack } from '../../integrations/types.ts';
import { createZendeskSandbox, SANDBOX_DEFAULTS } from '../../integrations/zendesk/sandbox/index.ts';

const FAST = { retryPolicy: { baseDelayMs: 2, maxDelayMs: 20 } };
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (closers.length) await closers.pop()?.();
});

async function zendesk(settings: Record<string, unknown> = {}) {
  const sandbox = createZendeskSandbox({ seed: 11, tickets: 3 });
  const { url, close } = await sandbox.listen();
  closers.push(close);
  const factory = writeBackFactory('zendesk');
  if (!factory) throw new Error('no zendesk write-back');
  const writeBack = factory.create({ baseUrl: url, ...settings }, { type: 'api_token', email: SANDBOX_DEFAULTS.email, token: SANDBOX_DEFAULTS.apiToken }, FAST);
  const ticket = sandbox.store.addTicket({ subject: 'Refund for order 123', body: 'Hello, I want my money back for order 123.', requester: { name: 'Ann Customer', email: 'ann@example.org' } });
  return { sandbox, writeBack, ticket };
}

const privateNotes = (ticket: { comments: Array<{ public: boolean; body: string }> }, marker: string) => ticket.comments.filter((c) => !c.public && c.body.includes(marker));

async function failure(promise: Promise<unknown>): Promise<VendorError> {
  const error = await promise.then(() => null, (thrown: unknown) => thrown);
  expect(error).toBeInstanceOf(VendorError);
  return error as VendorError;
}

describe('Zendesk write-back', () => {
  it('reads the ticket, posts one private note per marker and finds it again', async () => {
    const { writeBack, ticket } = await zendesk();
    const conversation = await writeBack.fetchTicket(String(ticket.id));
    expect(conversation.messages.map((m) => [m.authorRole, m.visibility, m.body])).toEqual([['customer', 'public', 'Hello, I want my money back for order 123.']]);
    const marker = 'ref tl-test1';
    expect(await writeBack.findNote(String(ticket.id), marker)).toBeNull();
    const { noteId } = await writeBack.postInternalNote(String(ticket.id), `Draft text\n— tuneloop draft · model m1 · ${marker}`, marker);
    expect(await writeBack.findNote(String(ticket.id), marker)).toBe(noteId);
    expect(privateNotes(ticket, marker).map((c) => String((c as unknown as { id: number }).id))).toEqual([noteId]);
  });

  it('a 429 or a 503 on the post still gives exactly one note', async () => {
    const { sandbox, writeBack, ticket } = await zendesk();
    sandbox.setFaults({ errorBurst: 1, errorStatus: 503 });
    await writeBack.postInternalNote(String(ticket.id), 'one\nref tl-a', 'ref tl-a');
    // Every other request is refused with Retry-After: the PUT meets one.
    sandbox.setFaults({ rateLimitEvery: 2, retryAfterSeconds: 0.05 });
    await writeBack.postInternalNote(String(ticket.id), 'two\nref tl-b', 'ref tl-b');
    sandbox.setFaults({ rateLimitEvery: null });
    expect(privateNotes(ticket, 'ref tl-a')).toHaveLength(1);
    expect(privateNotes(ticket, 'ref tl-b')).toHaveLength(1);
    expect(sandbox.store.requestLog.some((entry) => entry.method === 'PUT' && entry.status === 429)).toBe(true);
    expect(sandbox.store.violations).toEqual([]);
  });

  it('triage adds tags, sets priority and confidence only where empty', async () => {
    const { writeBack, ticket } = await zendesk({ triageConfidenceFieldId: 9001 });
    ticket.tags = ['vip'];
    const first = await writeBack.applyTriage(String(ticket.id), { tags: ['tuneloop_intent_refund request', 'lang_en'], priority: 'high', fields: { confidence: '0.91', intent: 'refund' } });
    expect(first.applied).toEqual(['tag:tuneloop_intent_refund_request', 'tag:lang_en', 'priority', 'field:confidence']);
    expect(first.skipped).toEqual(['intent: no Zendesk field for it']);
    expect(ticket.tags).toEqual(['vip', 'tuneloop_intent_refund_request', 'lang_en']);
    expect(ticket.priority).toBe('high');
    expect(ticket.customFields.find((f) => f.id === 9001)?.value).toBe('0.91');

    // An agent changes the priority; a second triage leaves it and adds nothing twice.
    ticket.priority = 'low';
    const second = await writeBack.applyTriage(String(ticket.id), { tags: ['tuneloop_intent_refund_request'], priority: 'urgent', fields: { confidence: '0.5' } });
    expect(second.applied).toEqual([]);
    expect(second.skipped).toEqual(['tags: already on the ticket', 'priority: already set', 'confidence: field already set']);
    expect(ticket.priority).toBe('low');
  });

  it('an unknown or deleted ticket is not_found', async () => {
    const { sandbox, writeBack, ticket } = await zendesk();
    expect((await failure(writeBack.fetchTicket('999999'))).kind).toBe('not_found');
    sandbox.store.deleteTicket(ticket.id);
    expect((await failure(writeBack.postInternalNote(String(ticket.id), 'x ref tl-z', 'ref tl-z'))).kind).toBe('not_found');
    expect((await failure(writeBack.fetchTicket('not-a-number'))).kind).toBe('not_found');
  });
});

describe('Salesforce write-back', () => {
  async function salesforce() {
    const sandbox = createSalesforceSandbox({ seed: 5, cases: 2, apiLimit: 1_000_000 });
    const server = await sandbox.listen();
    closers.push(server.close);
    const { credentials } = sandbox;
    const factory = writeBackFactory('salesforce');
    if (!factory) throw new Error('no salesforce write-back');
    const writeBack: WriteBack = factory.create(
      { instanceUrl: server.url, triageFields: { type: 'Type', reason: 'Reason', priority: 'Priority' } },
      { type: 'password', username: credentials.username, password: credentials.password, securityToken: credentials.securityToken },
      FAST,
    );
    return { sandbox, writeBack, caseId: sandbox.store.addCase() };
  }
  const comments = (sandbox: ReturnType<typeof createSalesforceSandbox>, caseId: string, marker: string) =>
    [...sandbox.store.rows('CaseComment')].filter((row) => row.ParentId === caseId && String(row.CommentBody).includes(marker));

  it('posts one unpublished CaseComment, also through a 503 with Retry-After and a 500', async () => {
    const { sandbox, writeBack, caseId } = await salesforce();
    const conversation = await writeBack.fetchTicket(caseId);
    expect(conversation.sourceId).toBe(caseId);
    expect(conversation.messages.length).toBeGreaterThan(0);
    const { noteId } = await writeBack.postInternalNote(caseId, 'Draft\nref tl-sf1', 'ref tl-sf1');
    expect(comments(sandbox, caseId, 'ref tl-sf1').map((row) => [row.Id, row.IsPublished])).toEqual([[noteId, false]]);
    expect(await writeBack.findNote(caseId, 'ref tl-sf1')).toBe(noteId);

    sandbox.setFaults({ errorBurst: { count: 1, status: 500 } });
    await writeBack.postInternalNote(caseId, 'Draft\nref tl-sf2', 'ref tl-sf2');
    sandbox.setFaults({ errorBurst: null, rateLimitEvery: 2, rateLimitStyle: 'unavailable', retryAfterSeconds: 0.05 });
    await writeBack.postInternalNote(caseId, 'Draft\nref tl-sf3', 'ref tl-sf3');
    sandbox.setFaults({ rateLimitEvery: 0 });
    expect(comments(sandbox, caseId, 'ref tl-sf2')).toHaveLength(1);
    expect(comments(sandbox, caseId, 'ref tl-sf3')).toHaveLength(1);
    expect(sandbox.store.violations).toEqual([]);
  });

  it('triage fills only empty Case fields', async () => {
    const { sandbox, writeBack, caseId } = await salesforce();
    sandbox.store.update(caseId, { Reason: null, Type: 'Billing' });
    const outcome = await writeBack.applyTriage(caseId, { tags: ['x'], priority: 'urgent', fields: { intent: 'refund_request', category: 'shipping', confidence: '0.8' } });
    expect(outcome.applied).toEqual(['field:Reason']);
    expect(outcome.skipped).toEqual(['confidence: no Case field for it', 'tags: Cases have no tags', 'category: Type already set', 'priority: Priority already set']);
    const row = sandbox.store.get(caseId)?.row;
    expect([row?.Reason, row?.Type]).toEqual(['Refund request', 'Billing']);
  });

  it('an unknown Case is not_found', async () => {
    const { writeBack } = await salesforce();
    expect((await failure(writeBack.fetchTicket('500000000000999AAA'))).kind).toBe('not_found');
  });
});

describe('HubSpot write-back', () => {
  it('takes drafts on tickets (notes) and inbox threads (internal comments), triage on tickets only', () => {
    const writeBack = writeBackFactory('hubspot')?.create({ baseUrl: 'http://127.0.0.1:9' }, { type: 'private_app', accessToken: 'pat-test' });
    expect(writeBack?.unsupported('ticket:123', 'reply')).toBeNull();
    expect(writeBack?.unsupported('thread:77', 'reply')).toBeNull();
    expect(writeBack?.unsupported('ticket:123', 'triage')).toBeNull();
    expect(writeBack?.unsupported('thread:77', 'triage')).toMatch(/inbox threads have none/);
    expect(writeBackFactory('slack')).toBeNull();
  });

  it('posts one note on a ticket and finds it by its marker', async () => {
    const sandbox = createHubSpotSandbox({ seed: 3, conversations: 4 });
    const server = await sandbox.listen();
    closers.push(server.close);
    const writeBack = writeBackFactory('hubspot')?.create({ baseUrl: server.url }, { type: 'private_app', accessToken: HUBSPOT_DEFAULTS.privateAppToken }, FAST);
    if (!writeBack) throw new Error('no hubspot write-back');
    const ticketId = [...sandbox.store.objects.tickets.keys()][0] ?? '';
    const conversation = await writeBack.fetchTicket(`ticket:${ticketId}`);
    expect(conversation.sourceId).toBe(`ticket:${ticketId}`);
    expect(await writeBack.findNote(`ticket:${ticketId}`, 'ref tl-hs1')).toBeNull();
    const { noteId } = await writeBack.postInternalNote(`ticket:${ticketId}`, 'Draft\n— tuneloop draft · model m · ref tl-hs1', 'ref tl-hs1');
    expect(sandbox.store.objects.notes.get(noteId)?.associations.tickets).toEqual([ticketId]);
    expect(await writeBack.findNote(`ticket:${ticketId}`, 'ref tl-hs1')).toBe(noteId);
    expect((await failure(writeBack.fetchTicket('ticket:999999999'))).kind).toBe('not_found');
  });
});
