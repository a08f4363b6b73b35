/**
 * The dashboard, served by the hub at `/`: server-rendered pages (Hono JSX), htmx and uPlot from
 * node_modules, a session cookie after logging in with a token. Each page is its own sub-app behind
 * the session and CSRF guards; pages call the same services (and role rules) as the REST API.
 */
import { Hono, type MiddlewareHandler } from 'hono';
import type { AppDeps } from '../../deps.ts';
import { assetRoutes } from './assets.ts';
import { requireRole } from '../auth.ts';
import { csrfGuard, sessionGuard, type DashboardEnv } from './guard.ts';
import { loginRoutes } from './login.tsx';
import { overviewPage } from './overview.tsx';
import { connectionPages } from './connections.tsx';
import { runPages } from './runs.tsx';
import { datasetPages } from './datasets.tsx';
import { modelPages } from './models.tsx';
import { alertPages } from './alerts.tsx';
import { auditPages } from './audit.tsx';
import { draftPages } from './drafts.tsx';

/** No inline script may run; styles may be set from script (uPlot sizes its canvas that way). */
const CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'";

const securityHeaders: MiddlewareHandler = async (c, next) => {
  await next();
  c.res.headers.set('Content-Security-Policy', CSP);
  c.res.headers.set('X-Content-Type-Options', 'nosniff');
  c.res.headers.set('Referrer-Policy', 'same-origin');
};

/** Each page file exports `(deps) => Hono` for its own path. */
type PageRoutes = (deps: AppDeps) => Hono<DashboardEnv>;
const PAGES: Array<[string, PageRoutes]> = [
  ['/connections', connectionPages],
  ['/runs', runPages],
  ['/datasets', datasetPages],
  ['/models', modelPages],
  ['/alerts', alertPages],
  ['/audit', auditPages],
  ['/drafts', draftPages],
];

export function dashboardRoutes(deps: AppDeps) {
  const { db } = deps.database;
  const app = new Hono<DashboardEnv>();
  app.use('/assets/*', securityHeaders);
  app.route('/assets', assetRoutes());
  app.use('/login', securityHeaders);
  app.use('/logout', securityHeaders);
  app.route('/', loginRoutes(deps));
  app.get('/', securityHeaders, sessionGuard(db), requireRole('viewer'), (c) => overviewPage(c, deps));

  for (const [path, routes] of PAGES) {
    // Scoped to the page's path: a sub-app's middleware mounted at '/' would run for the API too.
    const guarded = new Hono<DashboardEnv>();
    guarded.use(securityHeaders, sessionGuard(db), csrfGuard());
    guarded.route('/', routes(deps));
    app.route(path, guarded);
  }
  return app;
}
