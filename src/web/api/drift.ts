/** /api/v1/drift: drift reports of a task (`?task=reply`), newest first, and one report by id. */
import { Hono } from 'hono';
import { z } from 'zod';
import type { AppDeps } from '../../deps.ts';
import { getDriftReport, listDriftReports, type DriftReport } from '../../models/drift/check.ts';
import { requireRole, type AuthVariables } from '../auth.ts';
import { ApiError } from '../errors.ts';
import { validate } from '../validate.ts';

const task = z.string().regex(/^[a-z][a-z_]{0,39}$/, 'must be a task name such as reply or triage');

export function publicDriftReport(report: DriftReport) {
  return { id: report.id, task: report.task, modelId: report.modelId, drifted: report.drifted, score: report.score, metrics: report.metrics, createdAt: report.createdAt };
}

export function driftRoutes(deps: AppDeps) {
  const { db } = deps.database;
  const app = new Hono<{ Variables: AuthVariables }>();

  app.get('/', requireRole('viewer'), validate('query', z.object({ task: task.optional(), limit: z.coerce.number().int().min(1).max(500).optional() })), async (c) => {
    const query = c.req.valid('query');
    return c.json({ data: (await listDriftReports(db, query)).map(publicDriftReport) });
  });

  app.get('/:id', requireRole('viewer'), validate('param', z.object({ id: z.uuid({ error: 'must be a drift report id (uuid)' }) })), async (c) => {
    const report = await getDriftReport(db, c.req.valid('param').id);
    if (!report) throw new ApiError(404, 'not_found', 'no such drift report');
    return c.json(publicDriftReport(report));
  });

  return app;
}
