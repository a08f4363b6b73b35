/** /api/v1/draft-batches: drafts and triage for a backlog of open tickets, with progress. */
import { z } from 'zod';
import type { AppDeps } from '../../deps.ts';
import { BATCH_TASKS, BatchError, batchProgress, createBatch, getBatch, MAX_BATCH_TICKETS, type DraftBatch } from '../../serving/batch/batches.ts';
import { ApiError } from '../errors.ts';
import { apiApp, apiRoute, jsonBody, notFound, unavailable, errorResponse } from '../openapi.ts';

const createBody = z
  .object({
    connectionId: z.uuid({ error: 'must be a connection id (uuid)' }),
    tasks: z.array(z.enum(BATCH_TASKS)).min(1).max(2).default(['reply']),
    since: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time' }).optional(),
    limit: z.number().int().min(1).max(MAX_BATCH_TICKETS).optional(),
  })
  .strict();

function publicBatch(batch: DraftBatch) {
  return { id: batch.id, connectionId: batch.connectionId, tasks: batch.tasks, tickets: batch.tickets, createdBy: batch.createdBy, createdAt: batch.createdAt };
}

export function draftBatchRoutes(deps: AppDeps) {
  const { db } = deps.database;
  const app = apiApp();

  app.openapi(
    apiRoute('operator', {
      method: 'post',
      path: '/',
      tags: ['draft-batches'],
      summary: "Draft or triage a connection's open backlog",
      request: { body: jsonBody(createBody) },
      responses: { 202: { description: 'the batch and its progress' }, ...notFound('draft batch'), 422: errorResponse('cannot be done as asked; nothing changed'), ...unavailable },
    }),
    async (c) => {
      if (!deps.queue) throw new ApiError(503, 'unavailable', 'the job queue is not running');
      const body = c.req.valid('json');
      try {
        const batch = await createBatch(db, deps.queue, { connectionId: body.connectionId, tasks: [...new Set(body.tasks)], ...(body.since ? { since: new Date(body.since) } : {}), ...(body.limit ? { limit: body.limit } : {}), createdBy: c.get('actor') });
        return c.json({ ...publicBatch(batch), progress: await batchProgress(db, batch) }, 202);
      } catch (error) {
        if (error instanceof BatchError) throw new ApiError(error.code === 'not_found' ? 404 : 422, error.code, error.message);
        throw error;
      }
    },
  );

  app.openapi(
    apiRoute('viewer', {
      method: 'get',
      path: '/{id}',
      tags: ['draft-batches'],
      summary: "Show a draft batch's progress",
      request: { params: z.object({ id: z.uuid({ error: 'must be a batch id (uuid)' }) }) },
      responses: { 200: { description: 'the batch and its progress' }, ...notFound('draft batch') },
    }),
    async (c) => {
      const batch = await getBatch(db, c.req.valid('param').id);
      if (!batch) throw new ApiError(404, 'not_found', 'no such draft batch');
      return c.json({ ...publicBatch(batch), progress: await batchProgress(db, batch) });
    },
  );

  return app;
}
