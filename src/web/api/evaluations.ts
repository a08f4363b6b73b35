/**
 * /api/v1/models/:id/evaluations: a model's evaluations, newest first (GET), and a new one on
 * demand (POST: queued with its `model.evaluate` job; an evaluation already queued or running is
 * returned instead, with 200 rather than 202).
 */
import { eq } from 'drizzle-orm';
import { Hono } from 'hono';
import { z } from 'zod';
import type { AppDeps } from '../../deps.ts';
import { models } from '../../db/schema/index.ts';
import { listEvaluations, requestEvaluation, type Evaluation } from '../../models/evaluation/evaluations.ts';
import { requireRole, type AuthVariables } from '../auth.ts';
import { ApiError } from '../errors.ts';
import { validate } from '../validate.ts';

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
  const app = new Hono<{ Variables: AuthVariables }>();

  const requireModel = async (id: string) => {
    const [row] = await db.select({ id: models.id }).from(models).where(eq(models.id, id));
    if (!row) throw new ApiError(404, 'not_found', `no model "${id}"`);
  };

  app.get('/:id/evaluations', requireRole('viewer'), validate('param', ModelParam), validate('query', z.object({ limit: z.coerce.number().int().min(1).max(100).default(20) })), async (c) => {
    const { id } = c.req.valid('param');
    await requireModel(id);
    const rows = await listEvaluations(db, id, c.req.valid('query').limit);
    return c.json({ object: 'list', data: rows.map(publicEvaluation) });
  });

  app.post('/:id/evaluations', requireRole('operator'), validate('param', ModelParam), async (c) => {
    if (!deps.queue) throw new ApiError(503, 'unavailable', 'the job queue is not running');
    const { id } = c.req.valid('param');
    await requireModel(id);
    const { evaluation, created } = await requestEvaluation(db, deps.queue, id);
    return c.json(publicEvaluation(evaluation), created ? 202 : 200);
  });

  return app;
}
