/** /api/v1/tokens: list, create (shown once, with roles and an optional expiry) and revoke API tokens. */
import { Hono } from 'hono';
import { z } from 'zod';
import { createToken, listTokens, parseDuration, revokeToken, TokenInputError, TokenRoles } from '../../auth/tokens.ts';
import type { Db } from '../../db/client.ts';
import { requireRole, type AuthVariables } from '../auth.ts';
import { ApiError } from '../errors.ts';
import { validate } from '../validate.ts';

const CreateToken = z
  .object({
    name: z.string().trim().min(1).max(100),
    roles: TokenRoles,
    /** A duration such as "30d", "12h", "90m" or "2w"; or give expiresAt. */
    expiresIn: z.string().refine((text) => parseDuration(text) !== null, { error: 'must be a duration like 30d, 12h, 90m or 2w' }).optional(),
    expiresAt: z.iso.datetime({ offset: true }).optional(),
  })
  .strict()
  .refine((body) => !(body.expiresIn && body.expiresAt), { error: 'give expiresIn or expiresAt, not both' });

export function tokenRoutes(db: Db) {
  const app = new Hono<{ Variables: AuthVariables }>();

  app.get('/', requireRole('admin'), async (c) => c.json({ data: await listTokens(db) }));

  app.post('/', requireRole('admin'), validate('json', CreateToken), async (c) => {
    const body = c.req.valid('json');
    const expiresAt = body.expiresAt ? new Date(body.expiresAt) : body.expiresIn ? new Date(Date.now() + (parseDuration(body.expiresIn) ?? 0)) : null;
    try {
      const created = await db.transaction((tx) => createToken(tx, body.name, c.get('actor'), { roles: body.roles, expiresAt }));
      return c.json({ ...created.info, token: created.token }, 201);
    } catch (error) {
      if (error instanceof TokenInputError) throw new ApiError(400, 'invalid_request', error.message);
      throw error;
    }
  });

  app.delete('/:id', requireRole('admin'), async (c) => {
    const revoked = await db.transaction((tx) => revokeToken(tx, c.req.param('id'), c.get('actor')));
    if (revoked === 0) throw new ApiError(404, 'not_found', 'no active token with that id or name');
    return c.json({ revoked });
  });

  return app;
}
