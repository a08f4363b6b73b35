/** /api/v1/harvests: progress and status of harvest runs, and cancelling one. */
import { Hono } from 'hono';
import { z } from 'zod';
import type { AppDeps } from '../../deps.ts';
import { cancelRun, getRun, listRuns, type HarvestRun } from '../../harvest/runs.ts';
import { requireRole, type AuthVariables } from '../auth.ts';
import { ApiError } from '../errors.ts';
import { validate } from '../validate.ts';

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
  const app = new Hono<{ Variables: AuthVariables }>();

  app.get('/', requireRole('viewer'), validate('query', z.object({ connectionId: z.uuid().optional(), limit: z.coerce.number().int().min(1).max(500).optional() })), async (c) => {
    const query = c.req.valid('query');
    return c.json({ data: (await listRuns(db, query)).map(publicRun) });
  });

  app.get('/:id', requireRole('viewer'), validate('param', z.object({ id: uuid })), async (c) => {
    const run = await getRun(db, c.req.valid('param').id);
    if (!run) throw new ApiError(404, 'not_found', 'no such harvest');
    return c.json(publicRun(run));
  });

  app.post('/:id/cancel', requireRole('operator'), validate('param', z.object({ id: uuid })), async (c) => {
    const run = await cancelRun(db, c.req.valid('param').id);
    if (!run) throw new ApiError(404, 'not_found', 'no such harvest');
    return c.json(publicRun(run), 202);
  });

  return app;
}
