/**
 * /api/v1/connections: create, list, show, test, delete vendor connections, and start harvests.
 * Credentials go in, never come out.
 */
import { z } from 'zod';
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
import { ApiError } from '../errors.ts';
import { publicRun } from './harvests.ts';
import { apiApp, apiRoute, jsonBody, notFound, unavailable } from '../openapi.ts';

export function connectionRoutes(deps: AppDeps) {
  const { db } = deps.database;
  const app = apiApp();

  const load = async (idOrName: string) => {
    const row = await findConnection(db, idOrName);
    if (!row) throw new ApiError(404, 'not_found', `no connection "${idOrName}"`);
    return row;
  };

  app.openapi(
    apiRoute('viewer', {
      method: 'get',
      path: '/',
      tags: ['connections'],
      summary: 'List vendor connections (credentials never come out)',
      responses: { 200: { description: 'the connections' } },
    }),
    async (c) => c.json({ data: (await listConnections(db)).map((row) => publicConnection(row, deps.keyring)) }),
  );

  app.openapi(
    apiRoute('admin', {
      method: 'post',
      path: '/',
      tags: ['connections'],
      summary: 'Create a vendor connection',
      request: { body: jsonBody(NewConnection) },
      responses: { 201: { description: 'the connection' } },
    }),
    async (c) => {
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
    },
  );

  app.openapi(
    apiRoute('viewer', {
      method: 'get',
      path: '/{id}',
      tags: ['connections'],
      summary: 'Show a connection by id or name',
      request: { params: z.object({ id: z.string().min(1).max(200) }) },
      responses: { 200: { description: 'the connection' }, ...notFound('connection') },
    }),
    async (c) => c.json(publicConnection(await load(c.req.param('id')), deps.keyring)),
  );

  app.openapi(
    apiRoute('operator', {
      method: 'post',
      path: '/{id}/test',
      tags: ['connections'],
      summary: "Test a connection's credentials against the vendor",
      request: { params: z.object({ id: z.string().min(1).max(200) }) },
      responses: { 200: { description: 'the outcome of the test' }, ...notFound('connection') },
    }),
    async (c) => {
      const row = await load(c.req.param('id'));
      const result = await connectorFor(db, deps.keyring, row).test();
      return c.json(result);
    },
  );

  app.openapi(
    apiRoute('operator', {
      method: 'post',
      path: '/{id}/harvests',
      tags: ['connections'],
      summary: 'Start a harvest now (or return the one already running)',
      request: { params: z.object({ id: z.string().min(1).max(200) }) },
      responses: { 200: { description: 'the harvest run' }, 202: { description: 'the harvest run' }, ...notFound('connection'), ...unavailable },
    }),
    async (c) => {
      const row = await load(c.req.param('id'));
      if (!deps.queue) throw new ApiError(503, 'unavailable', 'the job queue is not running');
      const { run, existing } = await createRun(db, row.id, 'api', deps.queue);
      return c.json(publicRun(run), existing ? 200 : 202);
    },
  );

  app.openapi(
    apiRoute('admin', {
      method: 'delete',
      path: '/{id}',
      tags: ['connections'],
      summary: 'Delete a connection',
      request: { params: z.object({ id: z.string().min(1).max(200) }) },
      responses: { 200: { description: 'the deleted id' }, ...notFound('connection') },
    }),
    async (c) => {
      const row = await load(c.req.param('id'));
      await db.transaction((tx) => deleteConnection(tx, row, c.get('actor')));
      if (deps.queue) await removeSchedule(deps.queue, row.id);
      return c.json({ deleted: row.id });
    },
  );

  return app;
}
