/**
 * Human evaluation over HTTP: create blind pairs from an evaluation, hand them out one at a time,
 * record verdicts, summarise. The reviewer is the API token's actor; a pair never says which side
 * is the candidate.
 *   POST /api/v1/evaluations/:id/review-pairs {count}   GET /api/v1/evaluations/:id/reviews
 *   GET  /api/v1/reviews/next[?evaluationId=]            POST /api/v1/reviews/:id {verdict: a|b|tie}
 */
import { z } from 'zod';
import type { AppDeps } from '../../deps.ts';
import { createReviewPairs, MAX_REVIEW_PAIRS, nextReviewPair, ReviewError, reviewSummary, scoreReviewPair } from '../../models/evaluation/reviews.ts';
import { ApiError } from '../errors.ts';
import { apiApp, apiRoute, jsonBody, notFound } from '../openapi.ts';

const STATUS: Record<ReviewError['code'], 404 | 409> = { not_found: 404, not_ready: 409, conflict: 409 };

function asApiError(error: unknown): never {
  if (error instanceof ReviewError) throw new ApiError(STATUS[error.code], error.code, error.message);
  throw error;
}

const idParam = z.object({ id: z.uuid({ error: 'must be an id (uuid)' }) });

export function evaluationReviewRoutes(deps: AppDeps) {
  const { db } = deps.database;
  const store = deps.artifacts;
  const app = apiApp();

  app.openapi(
    apiRoute('operator', {
      method: 'post',
      path: '/{id}/review-pairs',
      tags: ['reviews'],
      summary: 'Create blind side-by-side review pairs for an evaluation',
      request: { params: idParam, body: jsonBody(z.object({ count: z.number().int().min(1).max(MAX_REVIEW_PAIRS).default(20) }).strict()) },
      responses: { 201: { description: 'the pairs created' }, ...notFound('evaluation or review pair') },
    }),
    async (c) => {
      const result = await createReviewPairs(db, store, deps.config.TUNELOOP_HOME, c.req.valid('param').id, c.req.valid('json').count).catch(asApiError);
      return c.json({ ...result, summary: await reviewSummary(db, c.req.valid('param').id) }, 201);
    },
  );

  app.openapi(
    apiRoute('viewer', {
      method: 'get',
      path: '/{id}/reviews',
      tags: ['reviews'],
      summary: "Summary of an evaluation's human reviews",
      request: { params: idParam },
      responses: { 200: { description: 'the summary' }, ...notFound('evaluation or review pair') },
    }),
    async (c) => c.json(await reviewSummary(db, c.req.valid('param').id)),
  );

  return app;
}

export function reviewRoutes(deps: AppDeps) {
  const { db } = deps.database;
  const app = apiApp();

  app.openapi(
    apiRoute('compliance', {
      method: 'get',
      path: '/next',
      tags: ['reviews'],
      summary: 'The next blind pair to review',
      request: { query: z.object({ evaluationId: z.uuid().optional() }).strict() },
      responses: { 200: { description: 'the next blind pair' }, ...notFound('pair waiting for review') },
    }),
    async (c) => {
      const pair = await nextReviewPair(db, c.get('actor'), c.req.valid('query').evaluationId);
      if (!pair) throw new ApiError(404, 'not_found', 'no pair waiting for review');
      return c.json(pair);
    },
  );

  app.openapi(
    apiRoute('compliance', {
      method: 'post',
      path: '/{id}',
      tags: ['reviews'],
      summary: 'Score a review pair: a, b or tie',
      request: { params: idParam, body: jsonBody(z.object({ verdict: z.enum(['a', 'b', 'tie'], { error: 'must be a, b or tie' }) }).strict()) },
      responses: { 200: { description: 'the scored pair' }, ...notFound('evaluation or review pair') },
    }),
    async (c) => {
      await scoreReviewPair(db, c.req.valid('param').id, c.req.valid('json').verdict, c.get('actor')).catch(asApiError);
      return c.json({ id: c.req.valid('param').id, verdict: c.req.valid('json').verdict });
    },
  );

  return app;
}
