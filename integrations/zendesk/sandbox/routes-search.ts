/**
 * GET /api/v2/search?query=… — a small part of Zendesk search
 * (https://developer.zendesk.com/api-reference/ticketing/ticket-management/search/): tickets only,
 * with `type:ticket`, `status:`, `priority:`, `tags:`/`tag:`, `requester:{email}` and free words
 * matched against subject and description. Offset pagination (`page`, `per_page` ≤ 100).
 */
import { Hono } from 'hono';
import type { SandboxEnv, SandboxState } from './faults.ts';
import { invalidValue } from './http.ts';
import { ticketJson } from './json.ts';
import type { StoredTicket } from './store.ts';

export function searchRoutes(state: SandboxState): Hono<SandboxEnv> {
  const app = new Hono<SandboxEnv>();

  app.get('/search', (c) => {
    const query = c.req.query('query');
    if (!query) return invalidValue(c, 'query parameter is required');
    const filters: ((ticket: StoredTicket) => boolean)[] = [];
    for (const token of query.split(/\s+/).filter(Boolean)) {
      const [key, ...rest] = token.split(':');
      const value = rest.join(':').toLowerCase();
      if (rest.length === 0) {
        const word = token.toLowerCase();
        filters.push((t) => t.subject.toLowerCase().includes(word) || (t.comments[0]?.body.toLowerCase().includes(word) ?? false));
      } else if (key === 'type') {
        if (value !== 'ticket') filters.push(() => false);
      } else if (key === 'status') {
        filters.push((t) => t.status === value);
      } else if (key === 'priority') {
        filters.push((t) => t.priority === value);
      } else if (key === 'tags' || key === 'tag') {
        filters.push((t) => t.tags.includes(value));
      } else if (key === 'requester') {
        filters.push((t) => state.store.users.get(t.requesterId)?.email.toLowerCase() === value);
      } else {
        return invalidValue(c, `Unsupported search keyword in the sandbox: ${key}`);
      }
    }
    const matches = [...state.store.tickets.values()].filter((t) => t.status !== 'deleted' && filters.every((f) => f(t))).sort((a, b) => a.id - b.id);
    const perPageRaw = c.req.query('per_page');
    const perPage = perPageRaw && /^\d+$/.test(perPageRaw) ? Math.min(100, Math.max(1, Number(perPageRaw))) : 100;
    const pageRaw = c.req.query('page');
    const page = pageRaw && /^\d+$/.test(pageRaw) ? Math.max(1, Number(pageRaw)) : 1;
    const origin = c.get('origin');
    const link = (n: number) => `${origin}/api/v2/search.json?page=${n}&per_page=${perPage}&query=${encodeURIComponent(query)}`;
    return c.json({
      results: matches.slice((page - 1) * perPage, page * perPage).map((t) => ({ ...ticketJson(t, origin, c.get('missingFields')), result_type: 'ticket' })),
      facets: null,
      next_page: page * perPage < matches.length ? link(page + 1) : null,
      previous_page: page > 1 ? link(page - 1) : null,
      count: matches.length,
    });
  });

  return app;
}
