/**
 * One error shape for the whole API: `{ "error": { "code", "message" } }`. Expected failures are
 * thrown as ApiError; anything else becomes a 500 whose details only reach the log.
 */
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { Logger } from '../log.ts';

export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export function errorBody(code: string, message: string) {
  return { error: { code, message } };
}

export function handleError(log: Logger) {
  return (error: Error, c: Context) => {
    if (error instanceof ApiError) return c.json(errorBody(error.code, error.message), error.status);
    if (error instanceof HTTPException) {
      const status = error.status;
      const code = status === 400 ? 'bad_request' : status === 415 ? 'unsupported_media_type' : `http_${status}`;
      return c.json(errorBody(code, error.message || 'request failed'), status);
    }
    log.error({ err: error, method: c.req.method, path: c.req.path }, 'unhandled error');
    return c.json(errorBody('internal', 'internal error; see the server log'), 500);
  };
}

export function notFound(c: Context) {
  return c.json(errorBody('not_found', `no route for ${c.req.method} ${c.req.path}`), 404);
}
