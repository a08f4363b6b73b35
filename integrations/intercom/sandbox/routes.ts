/**
 * The Intercom endpoints tuneloop uses, with Intercom's shapes and error bodies:
 * - GET /me (https://developers.intercom.com/docs/references/rest-api/api.intercom.io/admins/identifyadmin)
 * - POST /conversations/search (search.ts)
 * - GET /conversations/{id}?display_as=plaintext (retrieveconversation): parts included
 * - POST /conversations/{id}/reply (replyconversation): notes and comments by an admin
 * - POST /tags (createtag: create, or find by name) and POST /conversations/{id}/tags (attachtagtoconversation)
 */
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import type { SandboxEnv, SandboxState } from './gate.ts';
import { conversationJson, errorList } from './json.ts';
import { runSearch, SearchBody } from './search.ts';
import type { Deliveries } from './deliveries.ts';

const Reply = z.object({
  message_type: z.enum(['comment', 'note']),
  type: z.literal('admin'),
  admin_id: z.union([z.string(), z.number().transform(String)]),
  body: z.string().min(1),
});
const TagCreate = z.object({ name: z.string().min(1).max(255) });
const TagConversation = z.object({ id: z.union([z.string(), z.number().transform(String)]), admin_id: z.union([z.string(), z.number().transform(String)]) });

/** HTML from a reply body to the plain text the store keeps (the sandbox renders it back either way). */
function plain(html: string): string {
  return html
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<\/p>\s*/gi, '\n\n')
    .replace(/<[^>]+>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .trim();
}

export function routes(state: SandboxState, deliveries: Deliveries): Hono<SandboxEnv> {
  const app = new Hono<SandboxEnv>();
  const { store } = state;
  const notFound = (c: Context<SandboxEnv>) => c.json(errorList('not_found', 'Resource Not Found'), 404);

  app.get('/me', (c) => {
    const admin = store.admins.get(store.apiAdminId);
    return c.json({ type: 'admin', id: store.apiAdminId, name: admin?.name ?? null, email: admin?.email ?? null, email_verified: true, app: { type: 'app', id_code: 'sbx0x1ab', name: 'Example Shop (sandbox)', created_at: 1_733_130_000, secure: true, identity_verification: false, timezone: 'Europe/Berlin', region: 'US' }, avatar: null, has_inbox_seat: true });
  });

  app.post('/conversations/search', async (c) => {
    const parsed = SearchBody.safeParse(await c.req.json().catch(() => null));
    if (!parsed.success) return c.json(errorList('parameter_invalid', parsed.error.issues[0]?.message ?? 'invalid search'), 400);
    const outcome = runSearch(store.conversations.values(), parsed.data);
    if (!outcome.ok) return c.json(errorList(outcome.code, outcome.message), outcome.status);
    const origin = c.get('origin');
    const body = {
      type: 'conversation.list',
      pages: { type: 'pages', page: outcome.page, per_page: outcome.perPage, total_pages: Math.max(1, Math.ceil(outcome.total / outcome.perPage)), ...(outcome.next ? { next: { per_page: outcome.perPage, starting_after: outcome.next } } : {}) },
      total_count: outcome.total,
      conversations: outcome.results.map((conversation) => conversationJson(store, conversation, { origin, withParts: false, plaintext: false })),
    };
    for (const conversation of outcome.results.slice(0, state.faults.deleteAfterSearch)) store.deleteConversation(conversation.id);
    return c.json(body);
  });

  app.get('/conversations/:id', (c) => {
    const conversation = store.conversations.get(c.req.param('id'));
    if (!conversation) return notFound(c);
    return c.json(conversationJson(store, conversation, { origin: c.get('origin'), withParts: true, plaintext: c.req.query('display_as') === 'plaintext' }));
  });

  app.post('/conversations/:id/reply', async (c) => {
    const conversation = store.conversations.get(c.req.param('id'));
    if (!conversation) return notFound(c);
    const parsed = Reply.safeParse(await c.req.json().catch(() => null));
    if (!parsed.success) return c.json(errorList('parameter_invalid', parsed.error.issues[0]?.message ?? 'invalid reply'), 400);
    if (!store.admins.has(parsed.data.admin_id)) return c.json(errorList('parameter_invalid', 'Admin not found'), 400);
    store.addPart(conversation, { partType: parsed.data.message_type, body: plain(parsed.data.body), author: { type: 'admin', id: parsed.data.admin_id }, attachments: [] });
    deliveries.notify(parsed.data.message_type === 'note' ? 'conversation.admin.noted' : 'conversation.admin.replied', conversation);
    return c.json(conversationJson(store, conversation, { origin: c.get('origin'), withParts: true, plaintext: false }));
  });

  app.post('/tags', async (c) => {
    const parsed = TagCreate.safeParse(await c.req.json().catch(() => null));
    if (!parsed.success) return c.json(errorList('parameter_invalid', parsed.error.issues[0]?.message ?? 'invalid tag'), 400);
    const tag = store.tagNamed(parsed.data.name);
    return c.json({ type: 'tag', id: tag.id, name: tag.name });
  });

  app.post('/conversations/:id/tags', async (c) => {
    const conversation = store.conversations.get(c.req.param('id'));
    if (!conversation) return notFound(c);
    const parsed = TagConversation.safeParse(await c.req.json().catch(() => null));
    if (!parsed.success) return c.json(errorList('parameter_invalid', parsed.error.issues[0]?.message ?? 'invalid tag'), 400);
    const tag = store.tags.get(parsed.data.id);
    if (!tag) return c.json(errorList('tag_not_found', 'Tag not found'), 404);
    if (!store.admins.has(parsed.data.admin_id)) return c.json(errorList('parameter_invalid', 'Admin not found'), 400);
    if (!conversation.tagIds.includes(tag.id)) {
      conversation.tagIds.push(tag.id);
      store.touched(conversation);
    }
    return c.json({ type: 'tag', id: tag.id, name: tag.name });
  });

  return app;
}
