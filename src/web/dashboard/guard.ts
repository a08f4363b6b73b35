/**
 * What stands in front of every dashboard page: a live session (else the login page) and the CSRF
 * token on every state-changing request (else 403, nothing changed). The session marks its token as
 * the caller (setCaller), so each route declares its role with the API's own requireRole: 403
 * naming the role, audited, and listed by the route-roles test like every API route.
 */
import { timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import { allows, type Role } from '../../auth/roles.ts';
import type { Db } from '../../db/client.ts';
import type { AuthVariables } from '../auth.ts';
import { findSession, type DashboardSession } from './sessions.ts';

export type DashboardEnv = { Variables: AuthVariables & { session: DashboardSession } };
export const SESSION_COOKIE = 'tl_session';
export const CSRF_FIELD = '_csrf';
export const CSRF_HEADER = 'x-csrf-token';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Where to go back after logging in: a local path only, never another site. */
export function localPath(value: string | undefined): string {
  return value && value.startsWith('/') && !value.startsWith('//') && !value.startsWith('/\\') ? value : '/';
}

function toLogin(c: Context) {
  const next = SAFE_METHODS.has(c.req.method) ? `${c.req.path}${new URL(c.req.url).search}` : '/';
  const location = `/login${next === '/' ? '' : `?next=${encodeURIComponent(next)}`}`;
  // htmx follows HX-Redirect with a full page load; a plain redirect would swap the login page into a fragment.
  if (c.req.header('hx-request')) {
    c.header('HX-Redirect', location);
    return c.body(null, 401);
  }
  return c.redirect(location, 303);
}

export function sessionGuard(db: Db): MiddlewareHandler<DashboardEnv> {
  return async (c, next) => {
    const session = await findSession(db, getCookie(c, SESSION_COOKIE));
    if (!session) return toLogin(c);
    c.set('session', session);
    // What setCaller (src/web/auth.ts) sets for a bearer token, so requireRole works the same here.
    c.set('token', session.token);
    c.set('actor', `token:${session.token.name}`);
    c.set('auditDb', db);
    c.header('Cache-Control', 'no-store');
    await next();
  };
}

export function sameSecret(given: string | undefined, expected: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The submitted CSRF token: htmx sends it as a header, plain forms as a hidden field. */
async function submittedCsrf(c: Context): Promise<string | undefined> {
  const header = c.req.header(CSRF_HEADER);
  if (header) return header;
  const type = c.req.header('content-type') ?? '';
  if (!type.startsWith('application/x-www-form-urlencoded') && !type.startsWith('multipart/form-data')) return undefined;
  const value = (await c.req.parseBody())[CSRF_FIELD];
  return typeof value === 'string' ? value : undefined;
}

export function csrfGuard(): MiddlewareHandler<DashboardEnv> {
  return async (c, next) => {
    if (SAFE_METHODS.has(c.req.method)) return next();
    if (!sameSecret(await submittedCsrf(c), c.get('session').csrf)) {
      return c.text('Forbidden: the form\'s CSRF token is missing or wrong, so nothing was changed. Reload the page and try again.', 403);
    }
    await next();
  };
}

export function can(c: Context<DashboardEnv>, role: Role): boolean {
  return allows(c.get('session').token.roles, role);
}
