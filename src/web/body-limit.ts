/**
 * One body limit for every route (HTTP_BODY_LIMIT_BYTES), so no route can be made to buffer an
 * unbounded body. The two upload routes stream larger bodies and set their own limit instead.
 */
import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { errorBody } from './errors.ts';

/** POST /api/v1/files and POST /api/v1/datasets/:id/uploads: limited where they are declared. */
const UPLOADS = [/^\/api\/v1\/files\/?$/, /^\/api\/v1\/datasets\/[^/]+\/uploads\/?$/];

export function globalBodyLimit(maxSize: number): MiddlewareHandler {
  const limit = bodyLimit({ maxSize, onError: (c) => c.json(errorBody('payload_too_large', `request bodies are limited to ${maxSize} bytes`), 413) });
  return async (c, next) => {
    if (c.req.method === 'POST' && UPLOADS.some((pattern) => pattern.test(c.req.path))) return next();
    return limit(c, next);
  };
}
