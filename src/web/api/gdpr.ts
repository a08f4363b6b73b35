/** /api/v1/gdpr/erasures: erase a data subject everywhere (src/gdpr/erase.ts) and report what was removed. */
import { Hono } from 'hono';
import type { AppDeps } from '../../deps.ts';
import { ErasureRequest, eraseSubject } from '../../gdpr/erase.ts';
import { requireRole, type AuthVariables } from '../auth.ts';
import { validate } from '../validate.ts';

export function gdprRoutes(deps: AppDeps) {
  const store = deps.artifacts;
  const app = new Hono<{ Variables: AuthVariables }>();

  app.post('/erasures', requireRole('admin'), validate('json', ErasureRequest), async (c) => {
    const report = await eraseSubject({ database: deps.database, store, log: deps.log, home: deps.config.TUNELOOP_HOME }, c.req.valid('json'), c.get('actor'));
    return c.json(report, 200);
  });

  return app;
}
