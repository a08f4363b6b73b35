/**
 * /api/v1/gdpr/erasures (admin): POST queues an erasure of one data subject (202 with its id; it
 * runs as the `gdpr.erase` job, or in this process when it has no queue), GET lists them, GET :id
 * shows one with its report: every place touched and what could not be erased, with why.
 */
import type { AppDeps } from '../../deps.ts';
import { ErasureRequest } from '../../gdpr/erase.ts';
import { createErasure, getErasure, listErasures, presentErasure } from '../../gdpr/erasures.ts';
import { erasureRunDeps } from '../../gdpr/handler.ts';
import { runErasure } from '../../gdpr/run.ts';
import { ApiError } from '../errors.ts';
import { apiApp, apiRoute, jsonBody, notFound, ok, uuidParam } from '../openapi.ts';

export function gdprRoutes(deps: AppDeps) {
  const app = apiApp();

  app.openapi(
    apiRoute('admin', {
      method: 'post',
      path: '/erasures',
      tags: ['gdpr'],
      summary: "Erase a data subject's personal data everywhere (GDPR art. 17); runs in the background",
      request: { body: jsonBody(ErasureRequest) },
      responses: { 202: { description: 'the erasure, queued; GET it for its report' } },
    }),
    async (c) => {
      const row = await createErasure(deps.database.db, deps.keyring, c.req.valid('json'), c.get('actor'));
      if (deps.queue) await deps.queue.send('gdpr.erase', { erasureId: row.id });
      else {
        // No queue (a read-only door): run it here; a crash leaves it for the resume job.
        runErasure(erasureRunDeps(deps), row.id).catch((error: unknown) => deps.log.error({ erasureId: row.id, err: error instanceof Error ? error.name : 'error' }, 'GDPR erasure failed; it will be resumed'));
      }
      return c.json(presentErasure(row), 202);
    },
  );

  app.openapi(
    apiRoute('admin', { method: 'get', path: '/erasures', tags: ['gdpr'], summary: 'List erasures, newest first', responses: ok('the erasures') }),
    async (c) => c.json({ data: (await listErasures(deps.database.db)).map(presentErasure) }),
  );

  app.openapi(
    apiRoute('admin', {
      method: 'get',
      path: '/erasures/{id}',
      tags: ['gdpr'],
      summary: 'One erasure with its report',
      request: { params: uuidParam('an erasure') },
      responses: { ...ok('the erasure and its report'), ...notFound('erasure') },
    }),
    async (c) => {
      const row = await getErasure(deps.database.db, c.req.valid('param').id);
      if (!row) throw new ApiError(404, 'not_found', 'no such erasure');
      return c.json(presentErasure(row));
    },
  );

  return app;
}
