/** GET /api/v1/compliance/figures?since=ISO: volume scanned, alerts and false-positive rate per source and per policy. */
import { z } from 'zod';
import type { AppDeps } from '../../deps.ts';
import { complianceFigures } from '../../serving/compliance/figures.ts';
import { apiApp, apiRoute, ok } from '../openapi.ts';

export function complianceFigureRoutes(deps: AppDeps) {
  const app = apiApp();
  app.openapi(
    apiRoute('compliance', {
      method: 'get',
      path: '/figures',
      tags: ['alerts'],
      summary: 'Volume scanned, alerts and false-positive rate per source and per policy',
      request: { query: z.object({ since: z.iso.datetime({ offset: true }).optional() }) },
      responses: ok('the figures'),
    }),
    async (c) => {
      const { since } = c.req.valid('query');
      return c.json(await complianceFigures(deps.database.db, { since: since ? new Date(since) : undefined }));
    },
  );
  return app;
}
