/**
 * /api/v1/drafts: what tuneloop wrote back into tickets (draft replies and triage), with feedback.
 * `GET /` lists (filters: connectionId, task, status, modelId, sourceId, since, before, limit);
 * `GET /stats` gives acceptance per model (posted, judged, accepted, rate, mean chrF).
 * Drafts are ticket content: only token holders see them, and they are never logged.
 */
import { z } from 'zod';
import type { AppDeps } from '../../deps.ts';
import type { DraftRow } from '../../serving/drafts/record.ts';
import { acceptanceByModel, listDrafts } from '../../serving/feedback/stats.ts';
import { apiApp, apiRoute } from '../openapi.ts';
import { decodeCursor, PageQuery, pageDescription, toPage } from '../pagination.ts';

const task = z.enum(['reply', 'triage']);
const timestamp = z.iso.datetime({ offset: true }).transform((value) => new Date(value));

export function publicDraft(row: DraftRow) {
  return {
    id: row.id,
    connectionId: row.connectionId,
    source: row.source,
    sourceId: row.sourceId,
    task: row.task,
    status: row.status,
    reason: row.reason,
    model: row.modelId ? { id: row.modelId, arm: row.arm, abTestId: row.abTestId } : null,
    text: row.text,
    noteId: row.noteId,
    confidence: row.confidence,
    createdAt: row.createdAt,
    postedAt: row.postedAt,
    feedback: row.feedbackAt ? { finalReply: row.finalReply, similarity: row.similarity, accepted: row.accepted, at: row.feedbackAt } : null,
  };
}

export function draftRoutes(deps: AppDeps) {
  const { db } = deps.database;
  const app = apiApp();

  app.openapi(
    apiRoute('viewer', {
      method: 'get',
      path: '/',
      tags: ['drafts'],
      summary: 'List drafts and triage results written back into tickets',
      request: {
        query: PageQuery.extend({
          connectionId: z.uuid().optional(),
          task: task.optional(),
          status: z.enum(['posted', 'skipped', 'failed']).optional(),
          modelId: z.uuid().optional(),
          sourceId: z.string().min(1).max(200).optional(),
          since: timestamp.optional(),
          before: timestamp.optional(),
        }).strict(),
      },
      responses: { 200: { description: pageDescription('drafts, newest first') } },
    }),
    async (c) => {
      const { limit, cursor, ...filter } = c.req.valid('query');
      const afterId = cursor ? String(decodeCursor(cursor, z.uuid())) : undefined;
      const rows = await listDrafts(db, { ...filter, afterId }, limit + 1);
      return c.json(toPage(rows, limit, (row) => row.id, publicDraft));
    },
  );

  app.openapi(
    apiRoute('viewer', {
      method: 'get',
      path: '/stats',
      tags: ['drafts'],
      summary: 'Draft acceptance per model (posted, judged, accepted, rate, mean chrF)',
      request: { query: z.object({ connectionId: z.uuid().optional(), task: task.optional(), since: timestamp.optional() }).strict() },
      responses: { 200: { description: 'acceptance per model' } },
    }),
    async (c) => {
      return c.json({ data: await acceptanceByModel(db, c.req.valid('query')) });
    },
  );

  return app;
}
