/**
 * /login and /logout. A token logs in once; the browser then holds only a session cookie (HttpOnly,
 * SameSite=Strict, Secure behind TLS). The login form has its own CSRF token in a short-lived
 * cookie (double submit), since there is no session yet to keep it in.
 */
import { randomBytes } from 'node:crypto';
import { Hono, type Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { z } from 'zod';
import { recordAudit } from '../../audit.ts';
import { verifyToken } from '../../auth/tokens.ts';
import type { AppDeps } from '../../deps.ts';
import { CSRF_FIELD, localPath, sameSecret, SESSION_COOKIE, sessionGuard, csrfGuard, type DashboardEnv } from './guard.ts';
import { Field, Notice } from './components.tsx';
import { Bare } from './layout.tsx';
import { closeSession, findSession, openSession } from './sessions.ts';

const LOGIN_CSRF_COOKIE = 'tl_login_csrf';
const LoginForm = z.object({
  token: z.string({ error: 'paste an API token' }).trim().min(1, 'paste an API token'),
  next: z.string().optional(),
  [CSRF_FIELD]: z.string().optional(),
});

/** Secure cookies only where the browser reached us over TLS (directly or through a proxy). */
export function secureRequest(c: Context): boolean {
  return new URL(c.req.url).protocol === 'https:' || c.req.header('x-forwarded-proto') === 'https';
}

function LoginPage(props: { csrf: string; next: string; error?: string | undefined; notice?: string | undefined }) {
  return (
    <Bare title="Log in">
      {props.notice ? <Notice kind="ok">{props.notice}</Notice> : null}
      <form method="post" action="/login" class="card">
        <input type="hidden" name={CSRF_FIELD} value={props.csrf} />
        <input type="hidden" name="next" value={props.next} />
        <Field name="token" label="API token" type="password" autocomplete="off" required error={props.error} hint="Create one with: tuneloop token create --name you --role operator" />
        <button type="submit">Log in</button>
      </form>
    </Bare>
  );
}

export function loginRoutes(deps: AppDeps) {
  const { db } = deps.database;
  const app = new Hono<DashboardEnv>();

  const form = (c: Context, next: string, status: 200 | 400 | 401, extra: { error?: string; notice?: string } = {}) => {
    const csrf = randomBytes(24).toString('base64url');
    setCookie(c, LOGIN_CSRF_COOKIE, csrf, { path: '/login', httpOnly: true, sameSite: 'Strict', secure: secureRequest(c), maxAge: 30 * 60 });
    c.header('Cache-Control', 'no-store');
    return c.html(<LoginPage csrf={csrf} next={next} error={extra.error} notice={extra.notice} />, status);
  };

  app.get('/login', async (c) => {
    if (await findSession(db, getCookie(c, SESSION_COOKIE))) return c.redirect(localPath(c.req.query('next')), 303);
    return form(c, localPath(c.req.query('next')), 200, { notice: c.req.query('bye') !== undefined ? 'You are logged out.' : undefined });
  });

  app.post('/login', async (c) => {
    const body = await c.req.parseBody();
    if (!sameSecret(typeof body[CSRF_FIELD] === 'string' ? body[CSRF_FIELD] : undefined, getCookie(c, LOGIN_CSRF_COOKIE) ?? '')) {
      return c.text('Forbidden: the login form\'s CSRF token is missing or wrong. Reload the login page and try again.', 403);
    }
    const parsed = LoginForm.safeParse(body);
    const next = localPath(typeof body.next === 'string' ? body.next : undefined);
    if (!parsed.success) return form(c, next, 400, { error: parsed.error.issues[0]?.message ?? 'paste an API token' });
    const token = await verifyToken(db, parsed.data.token);
    if (!token) return form(c, next, 401, { error: 'this token is unknown, revoked or expired' });
    if (token.roles.every((role) => role === 'inference')) return form(c, next, 401, { error: 'an inference-only token cannot use the dashboard; use one with the viewer role or more' });
    const { cookie } = await openSession(db, token.id, deps.config.DASHBOARD_SESSION_MINUTES);
    await recordAudit(db, { actor: `token:${token.name}`, action: 'dashboard.login', subjectType: 'api_token', subjectId: token.id });
    deleteCookie(c, LOGIN_CSRF_COOKIE, { path: '/login' });
    setCookie(c, SESSION_COOKIE, cookie, { path: '/', httpOnly: true, sameSite: 'Strict', secure: secureRequest(c), maxAge: deps.config.DASHBOARD_SESSION_MINUTES * 60 });
    return c.redirect(next, 303);
  });

  app.post('/logout', sessionGuard(db), csrfGuard(), async (c) => {
    const session = c.get('session');
    await closeSession(db, session.id);
    await recordAudit(db, { actor: c.get('actor'), action: 'dashboard.logout', subjectType: 'api_token', subjectId: session.token.id });
    deleteCookie(c, SESSION_COOKIE, { path: '/', secure: secureRequest(c) });
    return c.redirect('/login?bye', 303);
  });

  return app;
}
