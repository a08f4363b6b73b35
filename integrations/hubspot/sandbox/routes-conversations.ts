/**
 * Conversations inbox & messages v3 (https://developers.hubspot.com/docs/api/overview): inboxes, threads (sorted by
 * id or by latestMessageTimestamp, which needs latestMessageTimestampAfter; the filter is inclusive),
 * a thread's messages (newest first unless sort=createdAt), a message's original content, actors.
 * Paging is `{ paging: { next: { after, link } } }` with opaque keyset tokens.
 */
import type { Context } from 'hono';
import { Hono } from 'hono';
import { errorBody, missingScope } from './auth.ts';
import type { SandboxEnv, SandboxState } from './faults.ts';
import { actorJson, messageJson, threadJson } from './json.ts';
import { INBOX, type StoredThread } from './store.ts';

const DEFAULT_LIMIT = 20;
const MAX_LIMIT = 500;

export function encodeToken(position: Record<string, string | number>): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

export function decodeToken(token: string | undefined): Record<string, unknown> | null {
  if (!token) return null;
  try {
    const value: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

function badRequest(c: Context<SandboxEnv>, message: string) {
  return c.json(errorBody('VALIDATION_ERROR', message), 400);
}

function limitOf(c: Context<SandboxEnv>): number | null {
  const raw = c.req.query('limit');
  if (raw === undefined) return DEFAULT_LIMIT;
  const limit = Number(raw);
  return Number.isInteger(limit) && limit > 0 ? Math.min(limit, MAX_LIMIT) : null;
}

function page<T>(c: Context<SandboxEnv>, items: T[], limit: number, results: (item: T) => unknown, tokenOf: (item: T) => Record<string, string | number>) {
  const shown = items.slice(0, limit);
  const last = shown.at(-1);
  const more = items.length > limit && last !== undefined;
  const url = new URL(c.req.url);
  if (more) url.searchParams.set('after', encodeToken(tokenOf(last)));
  return c.json({ results: shown.map(results), ...(more ? { paging: { next: { after: url.searchParams.get('after'), link: `${url.pathname}${url.search}` } } } : {}) });
}

export function conversationRoutes(state: SandboxState): Hono<SandboxEnv> {
  const app = new Hono<SandboxEnv>({ strict: false });
  const { store } = state;
  app.use('*', async (c, next) => {
    const denied = missingScope(state.auth, c.req.method === 'GET' || c.req.path.endsWith('/batch/read') ? 'conversations.read' : 'conversations.write');
    if (denied) return c.json(denied, 403);
    await next();
  });
  const threadOr404 = (c: Context<SandboxEnv>): StoredThread | Response => {
    const thread = store.threads.get(c.req.param('threadId') ?? '');
    return thread ?? c.json(errorBody('OBJECT_NOT_FOUND', `Thread ${c.req.param('threadId')} not found.`), 404);
  };

  // https://developers.hubspot.com/docs/api-reference/conversations-conversations-inbox-&-messages-v3/public-inbox/get-conversations-v3-conversations-inboxes
  app.get('/inboxes', (c) => {
    const at = '2024-06-03T09:00:00.000Z';
    return c.json({ total: 1, results: [{ id: INBOX.id, name: INBOX.name, type: 'INBOX', createdAt: at, updatedAt: at, archived: false }] });
  });

  // https://developers.hubspot.com/docs/api-reference/conversations-conversations-inbox-&-messages-v3/public-thread/get-conversations-v3-conversations-threads
  app.get('/threads', (c) => {
    const limit = limitOf(c);
    if (limit === null) return badRequest(c, 'limit must be a positive integer');
    const sort = c.req.query('sort') ?? 'id';
    if (sort !== 'id' && sort !== 'latestMessageTimestamp') return badRequest(c, `Unable to sort by ${sort}: valid options are id and latestMessageTimestamp.`);
    const afterParam = c.req.query('latestMessageTimestampAfter');
    const minimum = afterParam === undefined ? null : Date.parse(afterParam);
    if (sort === 'latestMessageTimestamp' && (minimum === null || Number.isNaN(minimum))) {
      return badRequest(c, 'latestMessageTimestampAfter must be set to an ISO 8601 date-time when sorting by latestMessageTimestamp.');
    }
    const token = decodeToken(c.req.query('after'));
    if (c.req.query('after') !== undefined && token === null) return badRequest(c, 'Invalid paging cursor token.');
    const archived = c.req.query('archived') === 'true';
    const status = c.req.query('threadStatus');
    const inboxes = c.req.queries('inboxId');
    const key = (t: StoredThread): [number, number] => (sort === 'id' ? [Number(t.id), 0] : [t.latestMessageTimestamp.getTime(), Number(t.id)]);
    const position: [number, number] | null = token ? (sort === 'id' ? [Number(token.id), 0] : [Number(token.t), Number(token.id)]) : null;
    const threads = [...store.threads.values()]
      .filter((t) => t.archived === archived && (!status || t.status === status) && (!inboxes?.length || inboxes.includes(t.inboxId)))
      .filter((t) => minimum === null || Number.isNaN(minimum) || t.latestMessageTimestamp.getTime() >= minimum)
      .sort((a, b) => key(a)[0] - key(b)[0] || key(a)[1] - key(b)[1])
      .filter((t) => position === null || key(t)[0] > position[0] || (key(t)[0] === position[0] && key(t)[1] > position[1]));
    const withTicket = c.req.queries('association')?.includes('TICKET') ?? false;
    return page(c, threads, limit, (t) => threadJson(t, { withTicket, missingFields: c.get('missingFields') }), (t): Record<string, string | number> => (sort === 'id' ? { id: t.id } : { t: t.latestMessageTimestamp.getTime(), id: t.id }));
  });

  // https://developers.hubspot.com/docs/api-reference/conversations-conversations-inbox-&-messages-v3/public-thread/get-conversations-v3-conversations-threads-threadId
  app.get('/threads/:threadId', (c) => {
    const thread = threadOr404(c);
    if (thread instanceof Response) return thread;
    return c.json(threadJson(thread, { withTicket: c.req.queries('association')?.includes('TICKET') ?? false, missingFields: c.get('missingFields') }));
  });

  // https://developers.hubspot.com/docs/api-reference/conversations-conversations-inbox-&-messages-v3/public-message/get-conversations-v3-conversations-threads-threadId-messages
  app.get('/threads/:threadId/messages', (c) => {
    const thread = threadOr404(c);
    if (thread instanceof Response) return thread;
    const limit = limitOf(c);
    if (limit === null) return badRequest(c, 'limit must be a positive integer');
    const sort = c.req.query('sort') ?? '-createdAt';
    if (sort !== 'createdAt' && sort !== '-createdAt') return badRequest(c, `Unable to sort by ${sort}: valid options are createdAt and -createdAt.`);
    const token = decodeToken(c.req.query('after'));
    if (c.req.query('after') !== undefined && token === null) return badRequest(c, 'Invalid paging cursor token.');
    const ordered = thread.messages.map((message, index) => ({ message, index }));
    ordered.sort((a, b) => a.message.createdAt.getTime() - b.message.createdAt.getTime() || a.index - b.index);
    if (sort === '-createdAt') ordered.reverse();
    const start = token ? Number(token.offset) : 0;
    const options = { truncateAt: state.truncateAt, missingFields: c.get('missingFields') };
    return page(c, ordered.slice(start), limit, ({ message }) => messageJson(store, thread, message, options), () => ({ offset: start + limit }));
  });

  // https://developers.hubspot.com/docs/api-reference/conversations-conversations-inbox-&-messages-v3/public-message/post-conversations-v3-conversations-threads-threadId-messages
  // A COMMENT is an internal note (text, optional richText); a MESSAGE needs its sender, channel and recipients.
  app.post('/threads/:threadId/messages', async (c) => {
    const thread = threadOr404(c);
    if (thread instanceof Response) return thread;
    const body: unknown = await c.req.json().catch(() => null);
    const input = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
    if (input.type === 'MESSAGE') {
      for (const field of ['senderActorId', 'channelId', 'channelAccountId', 'recipients', 'text']) if (input[field] === undefined) return badRequest(c, `${field} is required for a MESSAGE`);
      return badRequest(c, 'The sandbox takes internal comments only (type COMMENT).');
    }
    if (input.type !== 'COMMENT') return badRequest(c, 'type must be MESSAGE or COMMENT');
    if (typeof input.text !== 'string' || !input.text.trim()) return badRequest(c, 'text is required');
    const createdBy = `A-${state.auth.userId}`;
    if (!store.actors.has(createdBy)) store.actors.set(createdBy, { id: createdBy, type: 'AGENT', name: 'Tuneloop Integration', email: 'integration@support.example-shop.com' });
    const message = store.addMessage(thread, { type: 'COMMENT', createdAt: new Date(), createdBy, text: input.text, richText: typeof input.richText === 'string' ? input.richText : null, subject: null, direction: null, recipientActorId: null, attachments: [] });
    return c.json(messageJson(store, thread, message, { truncateAt: state.truncateAt, missingFields: false }), 201);
  });

  app.get('/threads/:threadId/messages/:messageId', (c) => {
    const thread = threadOr404(c);
    if (thread instanceof Response) return thread;
    const message = thread.messages.find((m) => m.id === c.req.param('messageId'));
    if (!message) return c.json(errorBody('OBJECT_NOT_FOUND', `Message ${c.req.param('messageId')} not found.`), 404);
    return c.json(messageJson(store, thread, message, { truncateAt: state.truncateAt, missingFields: c.get('missingFields') }));
  });

  // https://developers.hubspot.com/docs/api-reference/conversations-conversations-inbox-&-messages-v3/public-message/get-conversations-v3-conversations-threads-threadId-messages-messageId-original-content
  app.get('/threads/:threadId/messages/:messageId/original-content', (c) => {
    const thread = threadOr404(c);
    if (thread instanceof Response) return thread;
    const message = thread.messages.find((m) => m.id === c.req.param('messageId'));
    if (!message) return c.json(errorBody('OBJECT_NOT_FOUND', `Message ${c.req.param('messageId')} not found.`), 404);
    return c.json({ text: message.text, richText: message.richText ?? '' });
  });

  // https://developers.hubspot.com/docs/api-reference/conversations-conversations-inbox-&-messages-v3/public-actor/get-conversations-v3-conversations-actors-actorId
  app.get('/actors/:actorId', (c) => {
    const actor = store.actors.get(c.req.param('actorId'));
    return actor ? c.json(actorJson(actor)) : c.json(errorBody('OBJECT_NOT_FOUND', `Actor ${c.req.param('actorId')} not found.`), 404);
  });

  // https://developers.hubspot.com/docs/api-reference/conversations-conversations-inbox-&-messages-v3/public-actor/post-conversations-v3-conversations-actors-batch-read
  app.post('/actors/batch/read', async (c) => {
    const body: unknown = await c.req.json().catch(() => null);
    const inputs = typeof body === 'object' && body !== null && 'inputs' in body && Array.isArray(body.inputs) ? body.inputs : null;
    if (!inputs || !inputs.every((id): id is string => typeof id === 'string')) return badRequest(c, 'inputs must be a list of actor ids');
    const startedAt = new Date().toISOString();
    const found = inputs.flatMap((id) => (store.actors.has(id) ? [actorJson(store.actors.get(id) ?? { id, type: 'SYSTEM', name: null, email: null })] : []));
    const missing = inputs.filter((id) => !store.actors.has(id));
    const errors = missing.map((id) => ({ status: 'error', category: 'OBJECT_NOT_FOUND', message: `Could not find actor ${id}`, context: { ids: [id] }, errors: [], links: {} }));
    const result = { status: 'COMPLETE', results: found, ...(errors.length ? { numErrors: errors.length, errors } : {}), startedAt, completedAt: new Date().toISOString() };
    return c.json(result, errors.length ? 207 : 200);
  });

  return app;
}
