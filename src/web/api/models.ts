/**
 * /api/v1/models and /api/v1/ab-tests: the model registry. List and inspect models (with the latest
 * evaluation and what the gate says now), promote through the gate (or forced, with a reason),
 * reject, roll back, and run A/B tests with per-arm acceptance statistics.
 */
import { z } from 'zod';
import type { AppDeps } from '../../deps.ts';
import { TASKS } from '../../datasets/config.ts';
import { abTestStats, endAbTest, getAbTest, startAbTest } from '../../models/ab/ab-test.ts';
import { latestEvaluation } from '../../models/evaluation/evaluations.ts';
import { reviewSummary } from '../../models/evaluation/reviews.ts';
import { gateVerdict } from '../../models/registry/gate.ts';
import { publicAbTest, publicModel, publicVerdict } from '../../models/registry/present.ts';
import { listModels, productionModel, RegistryError, requireModel, type ModelRow } from '../../models/registry/registry.ts';
import { promote, reject, rollback, type SwitchResult } from '../../models/registry/promotion.ts';
import { ApiError } from '../errors.ts';
import { apiApp, apiRoute, jsonBody, notFound } from '../openapi.ts';
import { decodeCursor, encodeCursor, PageQuery, pageDescription } from '../pagination.ts';

const STATUS = { not_found: 404, conflict: 409, gate_blocked: 409, invalid_request: 400 } as const;

/** Registry refusals become API errors; anything else goes to the error handler. */
function asApiError(error: unknown): never {
  if (error instanceof RegistryError) throw new ApiError(STATUS[error.code], error.code, error.message);
  throw error;
}

const Reason = z.string().trim().min(1).max(2000);
/** A dataset task's models, or a compliance policy's classifier (`compliance:<policy>`). */
const ModelTask = z.union([z.enum(TASKS), z.string().regex(/^compliance:[a-z0-9][a-z0-9._-]{1,79}$/)]);
const Promote = z
  .object({ force: z.boolean().optional(), reason: Reason.optional() })
  .strict()
  .refine((body) => !body.force || body.reason, { message: 'a forced promotion needs a reason', path: ['reason'] });

export function modelRoutes(deps: AppDeps) {
  const { db } = deps.database;
  const app = apiApp();
  const tolerances = deps.config;
  const switched = (result: SwitchResult) => ({
    model: publicModel(result.model),
    previous: result.previous ? publicModel(result.previous) : null,
    forced: result.forced,
    gate: result.verdict ? publicVerdict(result.verdict) : null,
  });

  app.openapi(
    apiRoute('viewer', {
      method: 'get',
      path: '/',
      tags: ['models'],
      summary: 'List models (filters: task, status)',
      description: 'Pages with `cursor` / `next_cursor` like the other lists; `after` / `has_more` / `last_id` (OpenAI style) work too.',
      request: {
        query: z.object({
          task: ModelTask.optional(),
          status: z.enum(['candidate', 'production', 'archived']).optional(),
          after: z.string().optional(),
          cursor: PageQuery.shape.cursor,
          limit: z.coerce.number().int().min(1).max(100).default(20),
        }),
      },
      responses: { 200: { description: pageDescription('the models, newest first') } },
    }),
    async (c) => {
      const { cursor, ...query } = c.req.valid('query');
      const after = query.after ?? (cursor ? String(decodeCursor(cursor, z.uuid())) : undefined);
      const { rows, hasMore } = await listModels(db, { ...query, after }).catch(asApiError);
      const lastId = rows.at(-1)?.id ?? null;
      return c.json({ object: 'list', data: rows.map(publicModel), first_id: rows[0]?.id ?? null, last_id: lastId, has_more: hasMore, next_cursor: hasMore && lastId ? encodeCursor(lastId) : null });
    },
  );

  app.openapi(
    apiRoute('operator', {
      method: 'post',
      path: '/rollback',
      tags: ['models'],
      summary: "Roll a task's production back to the previous model",
      request: { body: jsonBody(z.object({ task: ModelTask, reason: Reason.optional() }).strict()) },
      responses: { 200: { description: 'the model now in production' } },
    }),
    async (c) => {
      const body = c.req.valid('json');
      return c.json(switched(await rollback(db, body.task, { actor: c.get('actor'), reason: body.reason, queue: deps.queue }).catch(asApiError)));
    },
  );

  app.openapi(
    apiRoute('viewer', {
      method: 'get',
      path: '/{id}',
      tags: ['models'],
      summary: 'Show a model with its evaluation and gate verdict',
      request: { params: z.object({ id: z.string().min(1).max(200) }) },
      responses: { 200: { description: 'the model' }, ...notFound('model') },
    }),
    async (c) => {
      const model: ModelRow = await requireModel(db, c.req.param('id')).catch(asApiError);
      const evaluation = await latestEvaluation(db, model.id);
      const production = await productionModel(db, model.task);
      const verdict = model.status === 'production' ? null : gateVerdict({ task: model.task, modelId: model.id, evaluation, productionModelId: production?.id ?? null, tolerances });
      return c.json({
        ...publicModel(model),
        evaluation: evaluation ? { id: evaluation.id, status: evaluation.status, finished_at: evaluation.finishedAt?.toISOString() ?? null, report: evaluation.report, human: await reviewSummary(db, evaluation.id) } : null,
        gate: verdict ? publicVerdict(verdict) : null,
      });
    },
  );

  app.openapi(
    apiRoute('operator', {
      method: 'post',
      path: '/{id}/promote',
      tags: ['models'],
      summary: 'Promote a candidate to production (through the evaluation gate)',
      request: { params: z.object({ id: z.string().min(1).max(200) }), body: jsonBody(Promote) },
      responses: { 200: { description: 'the promoted model and the gate verdict' }, ...notFound('model') },
    }),
    async (c) => {
      const model = await requireModel(db, c.req.param('id')).catch(asApiError);
      const body = c.req.valid('json');
      return c.json(switched(await promote(db, model.id, { actor: c.get('actor'), force: body.force, reason: body.reason, tolerances, queue: deps.queue }).catch(asApiError)));
    },
  );

  app.openapi(
    apiRoute('operator', {
      method: 'post',
      path: '/{id}/reject',
      tags: ['models'],
      summary: 'Reject a candidate',
      request: { params: z.object({ id: z.string().min(1).max(200) }), body: jsonBody(z.object({ reason: Reason.optional() }).strict()) },
      responses: { 200: { description: 'the rejected model' }, ...notFound('model') },
    }),
    async (c) => {
      const model = await requireModel(db, c.req.param('id')).catch(asApiError);
      return c.json(switched(await reject(db, model.id, { actor: c.get('actor'), reason: c.req.valid('json').reason }).catch(asApiError)));
    },
  );

  app.openapi(
    apiRoute('operator', {
      method: 'post',
      path: '/{id}/ab-test',
      tags: ['models'],
      summary: 'Start an A/B test of a candidate against production',
      request: { params: z.object({ id: z.string().min(1).max(200) }), body: jsonBody(z.object({ share: z.number().gt(0).max(1) }).strict()) },
      responses: { 201: { description: 'the A/B test' }, ...notFound('model') },
    }),
    async (c) => {
      const model = await requireModel(db, c.req.param('id')).catch(asApiError);
      const test = await startAbTest(db, model.id, { share: c.req.valid('json').share, actor: c.get('actor') }).catch(asApiError);
      return c.json(publicAbTest(test), 201);
    },
  );

  return app;
}

export function abTestRoutes(deps: AppDeps) {
  const { db } = deps.database;
  const app = apiApp();

  const load = async (id: string) => (await getAbTest(db, id)) ?? asApiError(new RegistryError('not_found', `no A/B test "${id}"`));

  app.openapi(
    apiRoute('viewer', {
      method: 'get',
      path: '/{id}',
      tags: ['ab-tests'],
      summary: 'Show an A/B test with per-arm acceptance and its interval',
      request: { params: z.object({ id: z.string().min(1).max(200) }) },
      responses: { 200: { description: 'the A/B test' }, ...notFound('A/B test') },
    }),
    async (c) => {
      const test = await load(c.req.param('id'));
      return c.json(publicAbTest(test, await abTestStats(db, test)));
    },
  );

  app.openapi(
    apiRoute('operator', {
      method: 'post',
      path: '/{id}/end',
      tags: ['ab-tests'],
      summary: 'End an A/B test: promote or reject the candidate',
      request: { params: z.object({ id: z.string().min(1).max(200) }), body: jsonBody(z
        .object({ outcome: z.enum(['promote', 'reject']), force: z.boolean().optional(), reason: Reason.optional() })
        .strict()
        .refine((body) => !body.force || body.reason, { message: 'a forced promotion needs a reason', path: ['reason'] })) },
      responses: { 200: { description: 'the A/B test, the model and the gate verdict' }, ...notFound('A/B test') },
    }),
    async (c) => {
      const test = await load(c.req.param('id'));
      const body = c.req.valid('json');
      const { test: ended, result } = await endAbTest(db, test.id, body.outcome, { actor: c.get('actor'), force: body.force, reason: body.reason, tolerances: deps.config, queue: deps.queue }).catch(asApiError);
      return c.json({ ...publicAbTest(ended, await abTestStats(db, ended)), model: publicModel(result.model), gate: result.verdict ? publicVerdict(result.verdict) : null });
    },
  );

  return app;
}
