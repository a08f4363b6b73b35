/** /api/v1/drift: drift reports of a task (`?task=reply`), newest first, and one report by id. */
import { z } from 'zod';
import type { AppDeps } from '../../deps.ts';
import { getDriftReport, listDriftReports, type DriftReport } from '../../models/drift/check.ts';
import { ApiError } from '../errors.ts';
import { apiApp, apiRoute, notFound } from '../openapi.ts';
import { decodeCursor, PageQuery, pageDescription, toPage } from '../pagination.ts';

const task = z.string().regex(/^[a-z][a-z_]{0,39}$/, 'must be a task name such as reply or triage');

export function publicDriftReport(report: DriftReport) {
  return { id: report.id, task: report.task, modelId: report.modelId, drifted: report.drifted, score: report.score, metrics: report.metrics, createdAt: report.createdAt };
}

export function driftRoutes(deps: AppDeps) {
  const { db } = deps.database;
  const app = apiApp();

  app.openapi(
    apiRoute('viewer', {
      method: 'get',
      path: '/',
      tags: ['drift'],
      summary: "List a task's drift reports",
      request: { query: PageQuery.extend({ task: task.optional() }) },
      responses: { 200: { description: pageDescription('drift reports, newest first') } },
    }),
    async (c) => {
      const { cursor, limit, ...filter } = c.req.valid('query');
      const afterId = cursor ? String(decodeCursor(cursor, z.uuid())) : undefined;
      return c.json(toPage(await listDriftReports(db, { ...filter, afterId, limit: limit + 1 }), limit, (report) => report.id, publicDriftReport));
    },
  );

  app.openapi(
    apiRoute('viewer', {
      method: 'get',
      path: '/{id}',
      tags: ['drift'],
      summary: 'Show one drift report',
      request: { params: z.object({ id: z.uuid({ error: 'must be a drift report id (uuid)' }) }) },
      responses: { 200: { description: 'the drift report' }, ...notFound('drift report') },
    }),
    async (c) => {
      const report = await getDriftReport(db, c.req.valid('param').id);
      if (!report) throw new ApiError(404, 'not_found', 'no such drift report');
      return c.json(publicDriftReport(report));
    },
  );

  return app;
}
