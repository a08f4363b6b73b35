/** GET /api/v1/compliance/figures?since=ISO: volume scanned, alerts and false-positive rate per source and per policy. */
import { Hono } from 'hono';
import { z } from 'zod';
import type { AppDeps } from '../../deps.ts';
import { complianceFigures } from '../../serving/compliance/figures.ts';
import type { AuthVariables } from '../auth.ts';
import { validate } from '../validate.ts';

export function complianceFigureRoutes(deps: AppDeps) {
  const app = new Hono<{ Variables: AuthVariables }>();
  app.get('/figures', validate('query', z.object({ since: z.iso.datetime({ offset: true }).optional() })), async (c) => {
    const { since } = c.req.valid('query');
    return c.json(await complianceFigures(deps.database.db, { since: since ? new Date(since) : undefined }));
  });
  return app;
}
