/**
 * /api/v1/models/:id/evaluations: a model's evaluations, newest first (GET), and a new one on
 * demand (POST: queued with its `model.evaluate` job; an evaluation already queued or running is
 * returned instead, with 200 rather than 202).
 */
import { eq } from 'drizzle-orm';
import { z } from 'zod';
import type { AppDeps } from '../../deps.ts';
import { models } from '../../db/schema/index.ts';
import { listEvaluations, requestEvaluation, type Evaluation } from '../../models/evaluation/evaluations.ts';
import { ApiError } from '../errors.ts';
import { apiApp, apiRoute, notFound, unavailable } from '../openapi.ts';
import { decodeCursor, PageQuery, pageDescription, toPage } from '../pagination.ts';

export function publicEvaluation(evaluation: Evaluation) {
  return {
    object: 'model.evaluation',
    id: evaluation.id,
    model_id: evaluation.modelId,
    status: evaluation.status,
    baseline_model_id: evaluation.baselineModelId,
    baseline_label: evaluation.baselineLabel,
    report: evaluation.report,
    error: evaluation.error,
    created_at: evaluation.createdAt.toISOString(),
    started_at: evaluation.startedAt?.toISOString() ?? null,
    finished_at: evaluation.finishedAt?.toISOString() ?? null,
  };
}

const ModelParam = z.object({ id: z.uuid({ error: 'must be a model id (uuid)' }) });

export function evaluationRoutes(deps: AppDeps) {
  const { db } = deps.database;
  const app = apiApp();

  const requireModel = async (id: string) => {
    const [row] = await db.select({ id: models.id }).from(models).where(eq(models.id, id));
    if (!row) throw new ApiError(404, 'not_found', `no model "${id}"`);
  };

  app.openapi(
    apiRoute('viewer', {
      method: 'get',
      path: '/{id}/evaluations',
      tags: ['evaluations'],
      summary: "List a model's evaluations against production",
      request: { params: ModelParam, query: PageQuery },
      responses: { 200: { description: pageDescription('evaluations, newest first') }, ...notFound('model') },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const { cursor, limit } = c.req.valid('query');
      await requireModel(id);
      const afterId = cursor ? String(decodeCursor(cursor, z.uuid())) : undefined;
      return c.json({ object: 'list', ...toPage(await listEvaluations(db, id, limit + 1, afterId), limit, (row) => row.id, publicEvaluation) });
    },
  );

  app.openapi(
    apiRoute('operator', {
      method: 'post',
      path: '/{id}/evaluations',
      tags: ['evaluations'],
      summary: 'Evaluate a model on the held-out test split (runs as a job)',
      request: { params: ModelParam },
      responses: { 200: { description: 'the requested evaluation' }, ...notFound('model'), ...unavailable },
    }),
    async (c) => {
      if (!deps.queue) throw new ApiError(503, 'unavailable', 'the job queue is not running');
      const { id } = c.req.valid('param');
      await requireModel(id);
      const { evaluation, created } = await requestEvaluation(db, deps.queue, id);
      return c.json(publicEvaluation(evaluation), created ? 202 : 200);
    },
  );

  return app;
}
