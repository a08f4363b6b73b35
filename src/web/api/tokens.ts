/** /api/v1/tokens: list, create (shown once, with roles and an optional expiry) and revoke API tokens. */
import { z } from 'zod';
import { createToken, listTokens, parseDuration, revokeToken, TokenInputError, TokenRoles } from '../../auth/tokens.ts';
import type { Db } from '../../db/client.ts';
import { ApiError } from '../errors.ts';
import { apiApp, apiRoute, jsonBody, notFound } from '../openapi.ts';

const CreateToken = z
  .object({
    name: z.string().trim().min(1).max(100),
    roles: TokenRoles,
    expiresIn: z
      .string()
      .refine((text) => parseDuration(text) !== null, { error: 'must be a duration like 30d, 12h, 90m or 2w' })
      .optional()
      .meta({ description: 'a lifetime such as 30d, 12h, 90m or 2w; or give expiresAt' }),
    expiresAt: z.iso.datetime({ offset: true }).optional(),
  })
  .strict()
  .refine((body) => !(body.expiresIn && body.expiresAt), { error: 'give expiresIn or expiresAt, not both' });

const tags = ['tokens'];

export function tokenRoutes(db: Db) {
  const app = apiApp();

  app.openapi(
    apiRoute('admin', {
      method: 'get',
      path: '/',
      tags,
      summary: 'List tokens (never their values)',
      responses: { 200: { description: 'the tokens, newest first' } },
    }),
    async (c) => c.json({ data: await listTokens(db) }),
  );

  app.openapi(
    apiRoute('admin', {
      method: 'post',
      path: '/',
      tags,
      summary: 'Create a token with roles and an optional expiry',
      description: 'The token is in the response only this once; only its SHA-256 is stored.',
      request: { body: jsonBody(CreateToken) },
      responses: { 201: { description: 'the token and, once, its value' } },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const expiresAt = body.expiresAt ? new Date(body.expiresAt) : body.expiresIn ? new Date(Date.now() + (parseDuration(body.expiresIn) ?? 0)) : null;
      try {
        const created = await db.transaction((tx) => createToken(tx, body.name, c.get('actor'), { roles: body.roles, expiresAt }));
        return c.json({ ...created.info, token: created.token }, 201);
      } catch (error) {
        if (error instanceof TokenInputError) throw new ApiError(400, 'invalid_request', error.message);
        throw error;
      }
    },
  );

  app.openapi(
    apiRoute('admin', {
      method: 'delete',
      path: '/{id}',
      tags,
      summary: 'Revoke a token by id or name',
      request: { params: z.object({ id: z.string().min(1).max(100).meta({ description: 'the token id or its name' }) }) },
      responses: { 200: { description: 'how many tokens were revoked' }, ...notFound('active token') },
    }),
    async (c) => {
      const revoked = await db.transaction((tx) => revokeToken(tx, c.req.valid('param').id, c.get('actor')));
      if (revoked === 0) throw new ApiError(404, 'not_found', 'no active token with that id or name');
      return c.json({ revoked });
    },
  );

  return app;
}
