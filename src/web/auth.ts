/**
 * Bearer-token authentication and role checks for /api/v1. The token is checked before anything
 * else of the request is read; a request without a valid token gets 401 and changes nothing. A
 * route then declares the role it needs with requireRole(role): a token without it gets 403 naming
 * the role, and the refusal is audited.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import { recordAudit } from '../audit.ts';
import { allows, type Role } from '../auth/roles.ts';
import { touchToken, verifyToken, type TokenInfo } from '../auth/tokens.ts';
import type { Db } from '../db/client.ts';
import { errorBody } from './errors.ts';

/** `auditDb` lets requireRole record a refusal without every route passing the database along. */
export type AuthVariables = { token: TokenInfo; actor: string; auditDb: Db };

/** lastUsedAt is written at most this often per token, so reads stay reads. */
const TOUCH_INTERVAL_MS = 60_000;

/** Marks who is asking; the dashboard's session check calls this too, so requireRole works the same there. */
export function setCaller(c: Context<{ Variables: AuthVariables }>, db: Db, token: TokenInfo): void {
  c.set('token', token);
  c.set('actor', `token:${token.name}`);
  c.set('auditDb', db);
}

export function requireToken(db: Db): MiddlewareHandler<{ Variables: AuthVariables }> {
  return async (c, next) => {
    const header = c.req.header('authorization') ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    const token = match?.[1] ? await verifyToken(db, match[1]) : null;
    if (!token) {
      c.header('WWW-Authenticate', 'Bearer realm="tuneloop"');
      const message = header ? 'invalid, expired or revoked API token' : 'missing Authorization: Bearer <token> header';
      return c.json(errorBody('unauthorized', message), 401);
    }
    if (!token.lastUsedAt || Date.now() - token.lastUsedAt.getTime() > TOUCH_INTERVAL_MS) await touchToken(db, token.id);
    setCaller(c, db, token);
    await next();
  };
}

/** Which role each requireRole middleware demands, so a test can read every route's declaration. */
const declared = new WeakMap<object, Role>();

export function declaredRole(handler: unknown): Role | undefined {
  return typeof handler === 'function' ? declared.get(handler) : undefined;
}

/** Records the role a door's own authentication middleware enforces (the inference API's `inference`). */
export function declareRole<H extends object>(middleware: H, role: Role): H {
  declared.set(middleware, role);
  return middleware;
}

/** 403 unless the caller's token holds `role` (admin holds every role; operator and compliance include viewer). */
export function requireRole(role: Role): MiddlewareHandler<{ Variables: AuthVariables }> {
  const middleware: MiddlewareHandler<{ Variables: AuthVariables }> = async (c, next) => {
    const token = c.get('token');
    if (!token) return c.json(errorBody('unauthorized', 'missing Authorization: Bearer <token> header'), 401);
    if (!allows(token.roles, role)) {
      await recordAudit(c.get('auditDb'), {
        actor: c.get('actor'),
        action: 'access.denied',
        subjectType: 'route',
        subjectId: `${c.req.method} ${routePath(c)}`,
        details: { needed: role, held: token.roles, path: c.req.path },
      });
      return c.json({ error: { code: 'forbidden', message: `this needs the ${role} role`, role } }, 403);
    }
    await next();
  };
  declared.set(middleware, role);
  return middleware;
}
