/** /api/v1/gdpr/erasures: erase a data subject everywhere (src/gdpr/erase.ts) and report what was removed. */
import type { AppDeps } from '../../deps.ts';
import { ErasureRequest, eraseSubject } from '../../gdpr/erase.ts';
import { apiApp, apiRoute, jsonBody } from '../openapi.ts';

export function gdprRoutes(deps: AppDeps) {
  const store = deps.artifacts;
  const app = apiApp();

  app.openapi(
    apiRoute('admin', {
      method: 'post',
      path: '/erasures',
      tags: ['gdpr'],
      summary: "Erase a data subject's personal data everywhere (GDPR art. 17)",
      request: { body: jsonBody(ErasureRequest) },
      responses: { 200: { description: 'the erasure report' } },
    }),
    async (c) => {
      const report = await eraseSubject({ database: deps.database, store, log: deps.log, home: deps.config.TUNELOOP_HOME }, c.req.valid('json'), c.get('actor'));
      return c.json(report, 200);
    },
  );

  return app;
}
