/** /api/v1/audit-events: who did what, newest first, filterable, in cursor pages (compliance). */
import { z } from 'zod';
import { listAuditEvents } from '../../audit.ts';
import type { AppDeps } from '../../deps.ts';
import { apiApp, apiRoute } from '../openapi.ts';
import { decodeCursor, PageQuery, pageDescription, toPage } from '../pagination.ts';

const timestamp = z.iso.datetime({ offset: true }).transform((value) => new Date(value));

const AuditQuery = PageQuery.extend({
  actor: z.string().max(200).optional().meta({ description: 'e.g. token:alice, cli, slack:U012AB3CD, system' }),
  action: z.string().max(100).optional().meta({ description: 'exact (alert.transitioned), or a prefix ending in a dot (token.)' }),
  subjectType: z.string().max(100).optional(),
  subjectId: z.string().max(200).optional(),
  since: timestamp.optional(),
  until: timestamp.optional(),
}).strict();

export function auditRoutes(deps: AppDeps) {
  const { db } = deps.database;
  const app = apiApp();

  app.openapi(
    apiRoute('compliance', {
      method: 'get',
      path: '/',
      tags: ['audit'],
      summary: 'The audit log: who did what (filters: actor, action, subject, time)',
      request: { query: AuditQuery },
      responses: { 200: { description: pageDescription('audit events, newest first') } },
    }),
    async (c) => {
      const { cursor, ...filter } = c.req.valid('query');
      const beforeId = cursor ? Number(decodeCursor(cursor, z.coerce.number().int().positive())) : undefined;
      const rows = await listAuditEvents(db, { ...filter, beforeId, limit: filter.limit + 1 });
      return c.json(toPage(rows, filter.limit, (row) => row.id, (row) => row));
    },
  );

  return app;
}
