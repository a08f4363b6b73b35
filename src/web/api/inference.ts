/**
 * Managing the inference API (admin): `/api/v1/inference-tokens` (scoped tokens, shown once),
 * `/api/v1/model-aliases` (names for models), and `/api/v1/usage` (tokens, cost and latency by
 * model, token or day).
 */
import { z } from 'zod';
import type { AppDeps } from '../../deps.ts';
import { AliasError, AliasName, listAliases, removeAlias, setAlias, USAGE_GROUPS, usageReport } from '../../models/gateway/admin.ts';
import { createInferenceToken, listInferenceTokens, NewInferenceToken, publicInferenceToken, revokeInferenceToken } from '../../models/gateway/tokens.ts';
import { ApiError } from '../errors.ts';
import { apiApp, apiRoute, jsonBody, notFound, ok } from '../openapi.ts';

const DAY_MS = 86_400_000;
const UsageQuery = z.strictObject({
  group_by: z.enum(USAGE_GROUPS).default('model'),
  from: z.coerce.date().optional(),
  to: z.coerce.date().optional(),
  token_id: z.uuid().optional(),
  model_id: z.uuid().optional(),
});

export function inferenceTokenRoutes(deps: AppDeps) {
  const db = deps.database.db;
  const app = apiApp();
  app.openapi(apiRoute('admin', { method: 'get', path: '/', tags: ['inference'], summary: 'List inference tokens (never their values)', responses: ok('the tokens') }), async (c) =>
    c.json({ data: (await listInferenceTokens(db)).map(publicInferenceToken) }),
  );
  app.openapi(
    apiRoute('admin', {
      method: 'post',
      path: '/',
      tags: ['inference'],
      summary: 'Create an inference token limited to models and/or tasks; the token is in this answer only',
      request: { body: jsonBody(NewInferenceToken) },
      responses: { 201: { description: 'the token, with its value' } },
    }),
    async (c) => {
      const created = await db.transaction((tx) => createInferenceToken(tx, c.req.valid('json'), c.get('actor')));
      return c.json({ ...publicInferenceToken(created.row), token: created.token }, 201);
    },
  );
  app.openapi(
    apiRoute('admin', {
      method: 'delete',
      path: '/{id}',
      tags: ['inference'],
      summary: 'Revoke an inference token by id or name',
      request: { params: z.object({ id: z.string().min(1).max(100) }) },
      responses: { ...ok('how many were revoked'), ...notFound('active inference token') },
    }),
    async (c) => {
      const revoked = await db.transaction((tx) => revokeInferenceToken(tx, c.req.valid('param').id, c.get('actor')));
      if (revoked === 0) throw new ApiError(404, 'not_found', 'no active inference token with that id or name');
      return c.json({ revoked });
    },
  );
  return app;
}

export function modelAliasRoutes(deps: AppDeps) {
  const db = deps.database.db;
  const app = apiApp();
  const present = (row: { name: string; modelId: string; createdBy: string; createdAt: Date }) => ({ name: row.name, model_id: row.modelId, created_by: row.createdBy, created_at: row.createdAt.toISOString() });
  app.openapi(apiRoute('viewer', { method: 'get', path: '/', tags: ['inference'], summary: 'List model aliases', responses: ok('the aliases') }), async (c) => c.json({ data: (await listAliases(db)).map(present) }));
  app.openapi(
    apiRoute('admin', {
      method: 'put',
      path: '/{name}',
      tags: ['inference'],
      summary: 'Point an alias at a model (creating or moving it)',
      request: { params: z.object({ name: AliasName }), body: jsonBody(z.strictObject({ model_id: z.uuid() })) },
      responses: { ...ok('the alias'), ...notFound('model') },
    }),
    async (c) => {
      try {
        const row = await db.transaction((tx) => setAlias(tx, c.req.valid('param').name, c.req.valid('json').model_id, c.get('actor')));
        return c.json(present(row));
      } catch (error) {
        if (error instanceof AliasError) throw new ApiError(404, 'not_found', error.message);
        throw error;
      }
    },
  );
  app.openapi(
    apiRoute('admin', {
      method: 'delete',
      path: '/{name}',
      tags: ['inference'],
      summary: 'Remove an alias',
      request: { params: z.object({ name: z.string().min(1).max(100) }) },
      responses: { ...ok('removed'), ...notFound('alias') },
    }),
    async (c) => {
      if (!(await db.transaction((tx) => removeAlias(tx, c.req.valid('param').name, c.get('actor'))))) throw new ApiError(404, 'not_found', `no alias "${c.req.valid('param').name}"`);
      return c.json({ removed: true });
    },
  );
  return app;
}

export function usageRoutes(deps: AppDeps) {
  const app = apiApp();
  app.openapi(
    apiRoute('admin', {
      method: 'get',
      path: '/',
      tags: ['inference'],
      summary: 'Inference usage: requests, errors, tokens, cost and latency by model, token or day',
      request: { query: UsageQuery },
      responses: ok('the usage lines'),
    }),
    async (c) => {
      const query = c.req.valid('query');
      const to = query.to ?? new Date(Date.now() + 60_000);
      const from = query.from ?? new Date(to.getTime() - 30 * DAY_MS);
      if (from >= to) throw new ApiError(400, 'invalid_request', 'query from: must be before to');
      const data = await usageReport(deps.database.db, { groupBy: query.group_by, from, to, ...(query.token_id ? { tokenId: query.token_id } : {}), ...(query.model_id ? { modelId: query.model_id } : {}) });
      return c.json({ object: 'list', group_by: query.group_by, from: from.toISOString(), to: to.toISOString(), data });
    },
  );
  return app;
}
