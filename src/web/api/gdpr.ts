/**
 * /api/v1/gdpr/erasures (admin): POST queues an erasure of one data subject (202 with its id; it
 * runs as the `gdpr.erase` job, or in this process when it has no queue), GET lists them, GET :id
 * shows one with its report: every place touched and what could not be erased, with why.
 */
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { z } from 'zod';
import type { AppDeps } from '../../deps.ts';
import { ErasureRequest } from '../../gdpr/erase.ts';
import { createErasure, getErasure, listErasures, presentErasure } from '../../gdpr/erasures.ts';
import { erasureRunDeps } from '../../gdpr/handler.ts';
import { runErasure } from '../../gdpr/run.ts';
import type { AuthVariables } from '../auth.ts';
import { validate } from '../validate.ts';

export function gdprRoutes(deps: AppDeps) {
  const app = new Hono<{ Variables: AuthVariables }>();

  app.post('/erasures', validate('json', ErasureRequest), async (c) => {
    const row = await createErasure(deps.database.db, deps.keyring, c.req.valid('json'), c.get('actor'));
    if (deps.queue) await deps.queue.send('gdpr.erase', { erasureId: row.id });
    else {
      // No queue (a read-only door): run it here; a crash leaves it for the resume job.
      runErasure(erasureRunDeps(deps), row.id).catch((error: unknown) => deps.log.error({ erasureId: row.id, err: error instanceof Error ? error.name : 'error' }, 'GDPR erasure failed; it will be resumed'));
    }
    return c.json(presentErasure(row), 202);
  });

  app.get('/erasures', async (c) => c.json({ data: (await listErasures(deps.database.db)).map(presentErasure) }));

  app.get('/erasures/:id', validate('param', z.object({ id: z.uuid() })), async (c) => {
    const row = await getErasure(deps.database.db, c.req.valid('param').id);
    if (!row) throw new HTTPException(404, { message: 'no such erasure' });
    return c.json(presentErasure(row));
  });

  return app;
}
