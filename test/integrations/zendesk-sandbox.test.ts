/**
 * The Zendesk sandbox on its own, through app.request (no sockets): its answers match the schemas
 * in Zendesk's OpenAPI document, and its auth, pagination, rate limiting, Retry-After policing and
 * write endpoints behave as Zendesk documents them.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createZendeskSandbox, SANDBOX_DEFAULTS, type ZendeskSandbox } from '../../integrations/zendesk/sandbox/index.ts';

const SPEC_PATH = fileURLToPath(new URL('../../../https://developer.zendesk.com/zendesk/oas.yaml', import.meta.url));
const BASIC = `Basic ${Buffer.from(`${SANDBOX_DEFAULTS.email}/token:${SANDBOX_DEFAULTS.apiToken}`).toString('base64')}`;

async function call(sandbox: ZendeskSandbox, path: string, init: RequestInit = {}, authorization = BASIC) {
  const headers = new Headers(init.headers);
  if (authorization) headers.set('Authorization', authorization);
  if (init.body) headers.set('Content-Type', 'application/json');
  const response = await sandbox.app.request(`http://127.0.0.1${path}`, { ...init, headers });
  const text = await response.text();
  const json: unknown = response.headers.get('content-type')?.includes('json') ? JSON.parse(text) : null;
  return { status: response.status, headers: response.headers, text, json };
}

/**
 * A small OpenAPI 3.0 schema checker: $ref, allOf/anyOf/oneOf, type, enum, required, properties,
 * items, date-time. Zendesk returns null for many fields its spec does not mark nullable (its own
 * examples do, e.g. "due_at": null), so null is accepted everywhere.
 */
type Schema = Record<string, unknown>;
function checker(spec: { components: { schemas: Record<string, Schema> } }) {
  const resolve = (schema: Schema): Schema => {
    const ref = schema.$ref;
    if (typeof ref !== 'string') return schema;
    const target = spec.components.schemas[ref.split('/').pop() ?? ''];
    if (!target) throw new Error(`unresolved ${ref}`);
    return resolve(target);
  };
  const check = (raw: Schema, value: unknown, path: string, errors: string[]): void => {
    const schema = resolve(raw);
    if (value === null) return;
    if (Array.isArray(schema.allOf)) for (const part of schema.allOf as Schema[]) check(part, value, path, errors);
    for (const key of ['anyOf', 'oneOf'] as const) {
      const options = schema[key];
      if (Array.isArray(options) && !options.some((option: Schema) => { const e: string[] = []; check(option, value, path, e); return e.length === 0; })) {
        errors.push(`${path}: matches none of ${key}`);
      }
    }
    const type = schema.type;
    const actual = Array.isArray(value) ? 'array' : Number.isInteger(value) ? 'integer' : typeof value;
    if (typeof type === 'string' && !(type === actual || (type === 'number' && actual === 'integer'))) {
      errors.push(`${path}: expected ${type}, got ${actual}`);
      return;
    }
    if (Array.isArray(schema.enum) && !schema.enum.includes(value)) errors.push(`${path}: ${JSON.stringify(value)} not in enum`);
    if (schema.format === 'date-time' && typeof value === 'string' && Number.isNaN(Date.parse(value))) errors.push(`${path}: not a date-time`);
    if (actual === 'object' && typeof value === 'object') {
      const record = value as Record<string, unknown>;
      for (const name of (schema.required as string[] | undefined) ?? []) if (!(name in record)) errors.push(`${path}.${name}: required`);
      const properties = (schema.properties as Record<string, Schema> | undefined) ?? {};
      for (const [name, child] of Object.entries(properties)) if (name in record) check(child, record[name], `${path}.${name}`, errors);
    }
    if (actual === 'array' && schema.items) (value as unknown[]).forEach((item, i) => check(schema.items as Schema, item, `${path}[${i}]`, errors));
  };
  return (schemaName: string, value: unknown): string[] => {
    const errors: string[] = [];
    check({ $ref: `#/components/schemas/${schemaName}` }, value, schemaName, errors);
    return errors;
  };
}

let cachedChecker: ReturnType<typeof checker> | undefined;

describe.skipIf(!existsSync(SPEC_PATH))('zendesk sandbox: answers match the OpenAPI spec', () => {
  // The spec lives in ../shared beside the checkout; read it only when this suite runs.
  const validate: ReturnType<typeof checker> = (...args) => (cachedChecker ??= checker(JSON.parse(readFileSync(SPEC_PATH, 'utf8'))))(...args);

  it('catches shapes that break the spec', () => {
    expect(validate('TicketObject', { id: 'seven', requester_id: 1 })).toEqual(['TicketObject.id: expected integer, got string']);
    expect(validate('TicketObject', { id: 7, status: 'gone' })).toEqual(['TicketObject.requester_id: required', 'TicketObject.status: "gone" not in enum']);
  });

  it('for every endpoint tuneloop reads or writes', async () => {
    const sandbox = createZendeskSandbox({ tickets: 30 });
    const cases: [string, string, RequestInit?][] = [
      ['CursorBasedExportIncrementalTicketsResponse', '/api/v2/incremental/tickets/cursor.json?start_time=0&include=users'],
      ['TicketCommentsResponse', '/api/v2/tickets/7/comments.json?page[size]=100'],
      ['CurrentUserResponse', '/api/v2/users/me.json'],
      ['UsersResponse', '/api/v2/users/show_many.json?ids=361000000001,361000000002'],
      ['UserResponse', '/api/v2/users/361000000100.json'],
      ['TicketResponse', '/api/v2/tickets/3.json'],
      ['SearchResponse', '/api/v2/search.json?query=type:ticket%20status:open'],
      ['TicketUpdateResponse', '/api/v2/tickets/3.json', { method: 'PUT', body: JSON.stringify({ ticket: { comment: { body: 'Draft reply', public: false }, tags: ['tuneloop_draft'] } }) }],
      ['TicketResponse', '/api/v2/tickets.json', { method: 'POST', body: JSON.stringify({ ticket: { subject: 'Printer', comment: { body: 'It is on fire' }, requester: { name: 'Ada Example', email: 'ada@example.com' } } }) }],
    ];
    for (const [schema, path, init] of cases) {
      const { status, json } = await call(sandbox, path, init);
      expect(status, path).toBeLessThan(300);
      expect(validate(schema, json), path).toEqual([]);
    }
    const { json } = await call(sandbox, '/api/v2/incremental/tickets/cursor.json?start_time=0&include=users');
    const body = json as { tickets: unknown[]; users: unknown[] };
    for (const [i, ticket] of body.tickets.entries()) expect(validate('TicketObject', ticket), `ticket ${i}`).toEqual([]);
    for (const [i, user] of body.users.entries()) expect(validate('UserObject', user), `user ${i}`).toEqual([]);
  });
});

describe('zendesk sandbox: auth', () => {
  it("answers 401 with Zendesk's bodies", async () => {
    const sandbox = createZendeskSandbox({ tickets: 1, oauthTokens: ['good'] });
    const none = await call(sandbox, '/api/v2/users/me.json', {}, '');
    expect([none.status, none.json]).toEqual([401, { error: "Couldn't authenticate you" }]);
    const password = await call(sandbox, '/api/v2/users/me.json', {}, `Basic ${Buffer.from(`${SANDBOX_DEFAULTS.email}:hunter2`).toString('base64')}`);
    expect(password.status).toBe(401);
    expect((await call(sandbox, '/api/v2/users/me.json', {}, 'Bearer good')).status).toBe(200);
    sandbox.setOAuthToken('good', 'revoked');
    const revoked = await call(sandbox, '/api/v2/users/me.json', {}, 'Bearer good');
    expect(revoked.status).toBe(401);
    expect(revoked.json).toMatchObject({ error: 'invalid_token' });
    expect(revoked.headers.get('www-authenticate')).toContain('invalid_token');
  });
});

describe('zendesk sandbox: rate limits', () => {
  it('sends rate headers, 429 with Retry-After, and records requests that ignore it', async () => {
    const sandbox = createZendeskSandbox({ tickets: 1, rateLimitEvery: 2, retryAfterSeconds: 30 });
    const first = await call(sandbox, '/api/v2/users/me.json');
    expect(first.status).toBe(200);
    expect(first.headers.get('x-rate-limit')).toBe('700');
    expect(first.headers.get('x-rate-limit-remaining')).toBe('699');
    const limited = await call(sandbox, '/api/v2/users/me.json');
    expect([limited.status, limited.headers.get('retry-after'), limited.text]).toEqual([429, '30', 'Number of allowed API requests per minute exceeded']);
    expect(sandbox.store.violations).toEqual([]);
    const tooEarly = await call(sandbox, '/api/v2/users/me.json');
    expect(tooEarly.status).toBe(429);
    expect(sandbox.store.violations).toHaveLength(1);
    expect(sandbox.store.requestLog.map((entry) => entry.status)).toEqual([200, 429, 429]);
  });
});

describe('zendesk sandbox: export and comments', () => {
  it('pages the export by change order and hands out a cursor that sees later changes', async () => {
    const sandbox = createZendeskSandbox({ tickets: 25 });
    const pages: { tickets: { id: number; status: string; updated_at: string }[]; after_cursor: string; end_of_stream: boolean }[] = [];
    let query = 'start_time=0&per_page=10';
    for (;;) {
      const { json } = await call(sandbox, `/api/v2/incremental/tickets/cursor.json?${query}`);
      const page = json as (typeof pages)[number];
      pages.push(page);
      if (page.end_of_stream) break;
      query = `cursor=${encodeURIComponent(page.after_cursor)}&per_page=10`;
    }
    expect(pages.map((page) => page.tickets.length)).toEqual([10, 10, 5]);
    const updated = pages.flatMap((page) => page.tickets.map((t) => t.updated_at));
    expect(updated).toEqual([...updated].sort());

    const final = pages.at(-1)?.after_cursor ?? '';
    const [touched] = sandbox.store.touchTickets(1);
    sandbox.store.deleteTicket(4);
    const created = sandbox.store.addTicket({ subject: 'New', body: 'Hello' });
    const { json } = await call(sandbox, `/api/v2/incremental/tickets/cursor.json?cursor=${encodeURIComponent(final)}`);
    expect((json as (typeof pages)[number]).tickets.map((t) => [t.id, t.status])).toEqual([
      [touched, 'open'],
      [4, 'deleted'],
      [created.id, 'new'],
    ]);
    expect((await call(sandbox, '/api/v2/tickets/4/comments.json')).status).toBe(404);
    const recent = await call(sandbox, `/api/v2/incremental/tickets/cursor.json?start_time=${Math.floor(Date.now() / 1000)}`);
    expect(recent.status).toBe(400);
  });

  it('walks comments with page[size] and page[after]', async () => {
    const sandbox = createZendeskSandbox({ tickets: 10 });
    const ticket = sandbox.store.tickets.get(5);
    const ids: number[] = [];
    let path = '/api/v2/tickets/5/comments.json?page[size]=1';
    for (;;) {
      const { json } = await call(sandbox, path);
      const page = json as { comments: { id: number }[]; meta: { has_more: boolean }; links: { next: string | null } };
      ids.push(...page.comments.map((c) => c.id));
      if (!page.meta.has_more || !page.links.next) break;
      path = new URL(page.links.next).pathname + new URL(page.links.next).search;
    }
    expect(ids).toEqual(ticket?.comments.map((c) => c.id));
  });

  it('adds internal notes and tags through PUT, and creates tickets through POST', async () => {
    const sandbox = createZendeskSandbox({ tickets: 3 });
    const put = await call(sandbox, '/api/v2/tickets/2.json', {
      method: 'PUT',
      body: JSON.stringify({ ticket: { comment: { html_body: '<p>Suggested reply:</p><p>Hi &amp; thanks</p>', public: false }, additional_tags: ['Tuneloop Draft'], priority: 'high' } }),
    });
    expect(put.status).toBe(200);
    const comments = (await call(sandbox, '/api/v2/tickets/2/comments.json')).json as { comments: { public: boolean; author_id: number; plain_body: string }[] };
    expect(comments.comments.at(-1)).toMatchObject({ public: false, author_id: sandbox.store.apiUserId, plain_body: 'Suggested reply:\n\nHi & thanks' });
    expect(sandbox.store.tickets.get(2)).toMatchObject({ priority: 'high', tags: expect.arrayContaining(['tuneloop_draft']) });

    const bad = await call(sandbox, '/api/v2/tickets/2.json', { method: 'PUT', body: JSON.stringify({ ticket: { comment: { public: false } } }) });
    expect([bad.status, (bad.json as { error: string }).error]).toEqual([422, 'RecordInvalid']);

    const post = await call(sandbox, '/api/v2/tickets.json', { method: 'POST', body: JSON.stringify({ ticket: { subject: 'Refund', comment: { body: 'Where is my refund?' }, requester: { name: 'Ada Example', email: 'ada@example.com' }, tags: ['refund'] } }) });
    expect(post.status).toBe(201);
    expect((post.json as { ticket: { id: number; status: string } }).ticket).toMatchObject({ id: 4, status: 'new' });
    expect((await call(sandbox, '/api/v2/search.json?query=tags:refund')).json).toMatchObject({ count: 1, results: [{ id: 4, result_type: 'ticket' }] });
  });
});
