/** /api/v1/harvests: progress and status of harvest runs, and cancelling one. */
import { z } from 'zod';
import type { AppDeps } from '../../deps.ts';
import { cancelRun, getRun, listRuns, type HarvestRun } from '../../harvest/runs.ts';
import { ApiError } from '../errors.ts';
import { apiApp, apiRoute, notFound } from '../openapi.ts';
import { decodeCursor, PageQuery, pageDescription, toPage } from '../pagination.ts';

export function publicRun(run: HarvestRun) {
  return {
    id: run.id,
    connectionId: run.connectionId,
    status: run.status,
    trigger: run.trigger,
    attempts: run.attempts,
    batches: run.batches,
    conversations: { seen: run.conversationsSeen, created: run.conversationsCreated, updated: run.conversationsUpdated },
    messagesWritten: run.messagesWritten,
    vendorRequests: run.vendorRequests,
    cursor: { start: run.cursorStart, end: run.cursorEnd },
    error: run.error,
    cancelRequestedAt: run.cancelRequestedAt,
    createdAt: run.createdAt,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
  };
}

const uuid = z.uuid({ error: 'must be a harvest id (uuid)' });

export function harvestRoutes(deps: AppDeps) {
  const { db } = deps.database;
  const app = apiApp();

  app.openapi(
    apiRoute('viewer', {
      method: 'get',
      path: '/',
      tags: ['harvests'],
      summary: 'List harvest runs',
      request: { query: PageQuery.extend({ connectionId: z.uuid().optional() }) },
      responses: { 200: { description: pageDescription('harvest runs, newest first') } },
    }),
    async (c) => {
      const { cursor, limit, connectionId } = c.req.valid('query');
      const afterId = cursor ? String(decodeCursor(cursor, z.uuid())) : undefined;
      return c.json(toPage(await listRuns(db, { connectionId, afterId, limit: limit + 1 }), limit, (run) => run.id, publicRun));
    },
  );

  app.openapi(
    apiRoute('viewer', {
      method: 'get',
      path: '/{id}',
      tags: ['harvests'],
      summary: "Show a harvest run's progress",
      request: { params: z.object({ id: uuid }) },
      responses: { 200: { description: 'the harvest run' }, ...notFound('harvest') },
    }),
    async (c) => {
      const run = await getRun(db, c.req.valid('param').id);
      if (!run) throw new ApiError(404, 'not_found', 'no such harvest');
      return c.json(publicRun(run));
    },
  );

  app.openapi(
    apiRoute('operator', {
      method: 'post',
      path: '/{id}/cancel',
      tags: ['harvests'],
      summary: 'Cancel a harvest run',
      request: { params: z.object({ id: uuid }) },
      responses: { 202: { description: 'the harvest run, cancelling' }, ...notFound('harvest') },
    }),
    async (c) => {
      const run = await cancelRun(db, c.req.valid('param').id);
      if (!run) throw new ApiError(404, 'not_found', 'no such harvest');
      return c.json(publicRun(run), 202);
    },
  );

  return app;
}
