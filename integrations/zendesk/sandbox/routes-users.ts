/**
 * Users endpoints tuneloop reads (https://developer.zendesk.com/api-reference/ticketing/users/users/):
 * GET /users/me (Show Self), GET /users/show_many?ids=… (up to 100), GET /users/{id}.
 */
import { Hono } from 'hono';
import type { SandboxEnv, SandboxState } from './faults.ts';
import { invalidValue, parseId, recordNotFound } from './http.ts';
import { userJson } from './json.ts';

const SHOW_MANY_LIMIT = 100;

export function userRoutes(state: SandboxState): Hono<SandboxEnv> {
  const app = new Hono<SandboxEnv>();

  app.get('/users/me', (c) => {
    const user = userJson(c.get('user'), c.get('origin'), c.get('missingFields'));
    return c.json({ user: { ...user, authenticity_token: 'sandbox-csrf-token' } });
  });

  app.get('/users/show_many', (c) => {
    const raw = c.req.query('ids') ?? '';
    const ids = raw.split(',').filter(Boolean).map((part) => parseId(part.trim()));
    if (ids.some((id) => id === null)) return invalidValue(c, 'ids must be a comma-separated list of user ids');
    if (ids.length > SHOW_MANY_LIMIT) return invalidValue(c, `Too many ids (maximum is ${SHOW_MANY_LIMIT})`);
    const users = ids.flatMap((id) => {
      const user = id === null ? undefined : state.store.users.get(id);
      return user ? [userJson(user, c.get('origin'), c.get('missingFields'))] : [];
    });
    return c.json({ users, next_page: null, previous_page: null, count: users.length });
  });

  app.get('/users/:id', (c) => {
    const id = parseId(c.req.param('id'));
    const user = id === null ? undefined : state.store.users.get(id);
    if (!user) return recordNotFound(c);
    return c.json({ user: userJson(user, c.get('origin'), c.get('missingFields')) });
  });

  return app;
}
