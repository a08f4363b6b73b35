/**
 * Bearer-token authentication for /api/v1. The token is checked before anything else of the request
 * is read; a request without a valid token gets 401 and changes nothing.
 */
import type { MiddlewareHandler } from 'hono';
import { touchToken, verifyToken, type TokenInfo } from '../auth/tokens.ts';
import type { Db } from '../db/client.ts';
import { errorBody } from './errors.ts';

export type AuthVariables = { token: TokenInfo; actor: string };

/** lastUsedAt is written at most this often per token, so reads stay reads. */
const TOUCH_INTERVAL_MS = 60_000;

export function requireToken(db: Db): MiddlewareHandler<{ Variables: AuthVariables }> {
  return async (c, next) => {
    const header = c.req.header('authorization') ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    const token = match?.[1] ? await verifyToken(db, match[1]) : null;
    if (!token) {
      c.header('WWW-Authenticate', 'Bearer realm="tuneloop"');
      const message = header ? 'invalid or revoked API token' : 'missing Authorization: Bearer <token> header';
      return c.json(errorBody('unauthorized', message), 401);
    }
    if (!token.lastUsedAt || Date.now() - token.lastUsedAt.getTime() > TOUCH_INTERVAL_MS) await touchToken(db, token.id);
    c.set('token', token);
    c.set('actor', `token:${token.name}`);
    await next();
  };
}
