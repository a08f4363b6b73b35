/**
 * /api/v1/drafts: what tuneloop wrote back into tickets (draft replies and triage), with feedback.
 * `GET /` lists (filters: connectionId, task, status, modelId, sourceId, since, before, limit);
 * `GET /stats` gives acceptance per model (posted, judged, accepted, rate, mean chrF).
 * Drafts are ticket content: only token holders see them, and they are never logged.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import type { AppDeps } from '../../deps.ts';
import type { DraftRow } from '../../serving/drafts/record.ts';
import { acceptanceByModel, listDrafts } from '../../serving/feedback/stats.ts';
import { requireRole, type AuthVariables } from '../auth.ts';
import { validate } from '../validate.ts';

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
  const app = new Hono<{ Variables: AuthVariables }>();

  app.get(
    '/',
    requireRole('viewer'),
    validate(
      'query',
      z
        .object({
          connectionId: z.uuid().optional(),
          task: task.optional(),
          status: z.enum(['posted', 'skipped', 'failed']).optional(),
          modelId: z.uuid().optional(),
          sourceId: z.string().min(1).max(200).optional(),
          since: timestamp.optional(),
          before: timestamp.optional(),
          limit: z.coerce.number().int().min(1).max(500).default(100),
        })
        .strict(),
    ),
    async (c) => {
      const { limit, ...filter } = c.req.valid('query');
      const rows = await listDrafts(db, filter, limit);
      return c.json({ data: rows.map(publicDraft) });
    },
  );

  app.get('/stats', requireRole('viewer'), validate('query', z.object({ connectionId: z.uuid().optional(), task: task.optional(), since: timestamp.optional() }).strict()), async (c) => {
    return c.json({ data: await acceptanceByModel(db, c.req.valid('query')) });
  });

  return app;
}
