/**
 * /api/v1/connections: create, list, show, test, delete vendor connections, and start harvests.
 * Credentials go in, never come out.
 */
import { Hono } from 'hono';
import type { AppDeps } from '../../deps.ts';
import {
  ConnectionInputError,
  connectorFor,
  createConnection,
  deleteConnection,
  findConnection,
  listConnections,
  NewConnection,
  publicConnection,
} from '../../connections/store.ts';
import { createRun } from '../../harvest/runs.ts';
import { removeSchedule, ScheduleError, syncSchedule, validateSchedule } from '../../harvest/schedules.ts';
import { requireRole, type AuthVariables } from '../auth.ts';
import { ApiError } from '../errors.ts';
import { publicRun } from './harvests.ts';
import { validate } from '../validate.ts';

export function connectionRoutes(deps: AppDeps) {
  const { db } = deps.database;
  const app = new Hono<{ Variables: AuthVariables }>();

  const load = async (idOrName: string) => {
    const row = await findConnection(db, idOrName);
    if (!row) throw new ApiError(404, 'not_found', `no connection "${idOrName}"`);
    return row;
  };

  app.get('/', requireRole('viewer'), async (c) => c.json({ data: (await listConnections(db)).map((row) => publicConnection(row, deps.keyring)) }));

  app.post('/', requireRole('admin'), validate('json', NewConnection), async (c) => {
    const input = c.req.valid('json');
    try {
      if (input.schedule && deps.queue) validateSchedule(deps.queue, input.schedule);
      const row = await db.transaction((tx) => createConnection(tx, deps.keyring, input, c.get('actor')));
      if (deps.queue) await syncSchedule(deps.queue, row);
      return c.json(publicConnection(row, deps.keyring), 201);
    } catch (error) {
      if (error instanceof ConnectionInputError || error instanceof ScheduleError) throw new ApiError(400, 'invalid_request', error.message);
      throw error;
    }
  });

  app.get('/:id', requireRole('viewer'), async (c) => c.json(publicConnection(await load(c.req.param('id')), deps.keyring)));

  app.post('/:id/test', requireRole('operator'), async (c) => {
    const row = await load(c.req.param('id'));
    const result = await connectorFor(db, deps.keyring, row).test();
    return c.json(result);
  });

  app.post('/:id/harvests', requireRole('operator'), async (c) => {
    const row = await load(c.req.param('id'));
    if (!deps.queue) throw new ApiError(503, 'unavailable', 'the job queue is not running');
    const { run, existing } = await createRun(db, row.id, 'api', deps.queue);
    return c.json(publicRun(run), existing ? 200 : 202);
  });

  app.delete('/:id', requireRole('admin'), async (c) => {
    const row = await load(c.req.param('id'));
    await db.transaction((tx) => deleteConnection(tx, row, c.get('actor')));
    if (deps.queue) await removeSchedule(deps.queue, row.id);
    return c.json({ deleted: row.id });
  });

  return app;
}
