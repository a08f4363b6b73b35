/** /api/v1/tokens: list, create (shown once) and revoke admin API tokens. */
import { Hono } from 'hono';
import { z } from 'zod';
import { createToken, listTokens, revokeToken } from '../../auth/tokens.ts';
import type { Db } from '../../db/client.ts';
import type { AuthVariables } from '../auth.ts';
import { ApiError } from '../errors.ts';
import { validate } from '../validate.ts';

const CreateToken = z.object({ name: z.string().trim().min(1).max(100) }).strict();

export function tokenRoutes(db: Db) {
  const app = new Hono<{ Variables: AuthVariables }>();

  app.get('/', async (c) => c.json({ data: await listTokens(db) }));

  app.post('/', validate('json', CreateToken), async (c) => {
    const { name } = c.req.valid('json');
    const created = await db.transaction((tx) => createToken(tx, name, c.get('actor')));
    return c.json({ ...created.info, token: created.token }, 201);
  });

  app.delete('/:id', async (c) => {
    const revoked = await db.transaction((tx) => revokeToken(tx, c.req.param('id'), c.get('actor')));
    if (revoked === 0) throw new ApiError(404, 'not_found', 'no active token with that id or name');
    return c.json({ revoked });
  });

  return app;
}
