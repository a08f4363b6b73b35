/**
 * /api/v1/models and /api/v1/ab-tests: the model registry. List and inspect models (with the latest
 * evaluation and what the gate says now), promote through the gate (or forced, with a reason),
 * reject, roll back, and run A/B tests with per-arm acceptance statistics.
 */
import { Hono } from 'hono';
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
import { requireRole, type AuthVariables } from '../auth.ts';
import { ApiError } from '../errors.ts';
import { validate } from '../validate.ts';

const STATUS = { not_found: 404, conflict: 409, gate_blocked: 409, invalid_request: 400 } as const;

/** Registry refusals become API errors; anything else goes to the error handler. */
function asApiError(error: unknown): never {
  if (error instanceof RegistryError) throw new ApiError(STATUS[error.code], error.code, error.message);
  throw error;
}

const Reason = z.string().trim().min(1).max(2000);
const Promote = z
  .object({ force: z.boolean().optional(), reason: Reason.optional() })
  .strict()
  .refine((body) => !body.force || body.reason, { message: 'a forced promotion needs a reason', path: ['reason'] });

export function modelRoutes(deps: AppDeps) {
  const { db } = deps.database;
  const app = new Hono<{ Variables: AuthVariables }>();
  const tolerances = deps.config;
  const switched = (result: SwitchResult) => ({
    model: publicModel(result.model),
    previous: result.previous ? publicModel(result.previous) : null,
    forced: result.forced,
    gate: result.verdict ? publicVerdict(result.verdict) : null,
  });

  app.get(
    '/',
    requireRole('viewer'),
    validate('query', z.object({ task: z.enum(TASKS).optional(), status: z.enum(['candidate', 'production', 'archived']).optional(), after: z.string().optional(), limit: z.coerce.number().int().min(1).max(100).default(20) })),
    async (c) => {
      const { rows, hasMore } = await listModels(db, c.req.valid('query')).catch(asApiError);
      return c.json({ object: 'list', data: rows.map(publicModel), first_id: rows[0]?.id ?? null, last_id: rows.at(-1)?.id ?? null, has_more: hasMore });
    },
  );

  app.post('/rollback', requireRole('operator'), validate('json', z.object({ task: z.enum(TASKS), reason: Reason.optional() }).strict()), async (c) => {
    const body = c.req.valid('json');
    return c.json(switched(await rollback(db, body.task, { actor: c.get('actor'), reason: body.reason, queue: deps.queue }).catch(asApiError)));
  });

  app.get('/:id', requireRole('viewer'), async (c) => {
    const model: ModelRow = await requireModel(db, c.req.param('id')).catch(asApiError);
    const evaluation = await latestEvaluation(db, model.id);
    const production = await productionModel(db, model.task);
    const verdict = model.status === 'production' ? null : gateVerdict({ task: model.task, modelId: model.id, evaluation, productionModelId: production?.id ?? null, tolerances });
    return c.json({
      ...publicModel(model),
      evaluation: evaluation ? { id: evaluation.id, status: evaluation.status, finished_at: evaluation.finishedAt?.toISOString() ?? null, report: evaluation.report, human: await reviewSummary(db, evaluation.id) } : null,
      gate: verdict ? publicVerdict(verdict) : null,
    });
  });

  app.post('/:id/promote', requireRole('operator'), validate('json', Promote), async (c) => {
    const model = await requireModel(db, c.req.param('id')).catch(asApiError);
    const body = c.req.valid('json');
    return c.json(switched(await promote(db, model.id, { actor: c.get('actor'), force: body.force, reason: body.reason, tolerances, queue: deps.queue }).catch(asApiError)));
  });

  app.post('/:id/reject', requireRole('operator'), validate('json', z.object({ reason: Reason.optional() }).strict()), async (c) => {
    const model = await requireModel(db, c.req.param('id')).catch(asApiError);
    return c.json(switched(await reject(db, model.id, { actor: c.get('actor'), reason: c.req.valid('json').reason }).catch(asApiError)));
  });

  app.post('/:id/ab-test', requireRole('operator'), validate('json', z.object({ share: z.number().gt(0).max(1) }).strict()), async (c) => {
    const model = await requireModel(db, c.req.param('id')).catch(asApiError);
    const test = await startAbTest(db, model.id, { share: c.req.valid('json').share, actor: c.get('actor') }).catch(asApiError);
    return c.json(publicAbTest(test), 201);
  });

  return app;
}

export function abTestRoutes(deps: AppDeps) {
  const { db } = deps.database;
  const app = new Hono<{ Variables: AuthVariables }>();

  const load = async (id: string) => (await getAbTest(db, id)) ?? asApiError(new RegistryError('not_found', `no A/B test "${id}"`));

  app.get('/:id', requireRole('viewer'), async (c) => {
    const test = await load(c.req.param('id'));
    return c.json(publicAbTest(test, await abTestStats(db, test)));
  });

  app.post(
    '/:id/end',
    requireRole('operator'),
    validate(
      'json',
      z
        .object({ outcome: z.enum(['promote', 'reject']), force: z.boolean().optional(), reason: Reason.optional() })
        .strict()
        .refine((body) => !body.force || body.reason, { message: 'a forced promotion needs a reason', path: ['reason'] }),
    ),
    async (c) => {
      const test = await load(c.req.param('id'));
      const body = c.req.valid('json');
      const { test: ended, result } = await endAbTest(db, test.id, body.outcome, { actor: c.get('actor'), force: body.force, reason: body.reason, tolerances: deps.config, queue: deps.queue }).catch(asApiError);
      return c.json({ ...publicAbTest(ended, await abTestStats(db, ended)), model: publicModel(result.model), gate: result.verdict ? publicVerdict(result.verdict) : null });
    },
  );

  return app;
}
