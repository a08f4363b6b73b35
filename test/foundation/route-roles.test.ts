/**
 * Every route of the app declares the role it needs (src/web/auth.ts requireRole), and that role is
 * the one this table says. Every /api/v1 route refuses a missing, wrong, expired or
 * under-privileged token with 401/403 and changes nothing; each 403 is audited.
 */
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.ts';
import type { Role } from '../../src/auth/roles.ts';
import { createToken } from '../../src/auth/tokens.ts';
import { apiTokens, auditEvents } from '../../src/db/schema/index.ts';
import { declaredRole } from '../../src/web/auth.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { testDeps } from '../support/app.ts';

/** The role each /api/v1 route needs. A new route fails the test until it is added here. */
const EXPECTED: Record<string, Role> = {
  'GET /api/v1/tokens': 'admin',
  'POST /api/v1/tokens': 'admin',
  'DELETE /api/v1/tokens/:id': 'admin',
  'GET /api/v1/connections': 'viewer',
  'POST /api/v1/connections': 'admin',
  'GET /api/v1/connections/:id': 'viewer',
  'POST /api/v1/connections/:id/test': 'operator',
  'POST /api/v1/connections/:id/harvests': 'operator',
  'DELETE /api/v1/connections/:id': 'admin',
  'GET /api/v1/harvests': 'viewer',
  'GET /api/v1/harvests/:id': 'viewer',
  'POST /api/v1/harvests/:id/cancel': 'operator',
  'GET /api/v1/alerts': 'compliance',
  'GET /api/v1/alerts/:id': 'compliance',
  'POST /api/v1/alerts/:id/transitions': 'compliance',
  'GET /api/v1/audit-events': 'compliance',
  'GET /api/v1/datasets': 'viewer',
  'POST /api/v1/datasets': 'operator',
  'GET /api/v1/datasets/:id': 'viewer',
  'POST /api/v1/datasets/:id/versions': 'operator',
  'GET /api/v1/datasets/:id/versions': 'viewer',
  'GET /api/v1/datasets/:id/versions/:v': 'viewer',
  'GET /api/v1/datasets/:id/versions/:v/diff/:other': 'viewer',
  'GET /api/v1/datasets/:id/versions/:v/files/:split': 'operator',
  'POST /api/v1/datasets/:id/uploads': 'operator',
  'POST /api/v1/gdpr/erasures': 'admin',
  'GET /api/v1/gdpr/erasures': 'admin',
  'GET /api/v1/gdpr/erasures/:id': 'admin',
  'POST /api/v1/documents': 'operator',
  'GET /api/v1/documents/:id': 'compliance',
  'GET /api/v1/compliance/figures': 'compliance',
  'GET /api/v1/fine_tuning/jobs/:id/trials': 'viewer',
  'GET /api/v1/inference-tokens': 'admin',
  'POST /api/v1/inference-tokens': 'admin',
  'DELETE /api/v1/inference-tokens/:id': 'admin',
  'GET /api/v1/model-aliases': 'viewer',
  'PUT /api/v1/model-aliases/:name': 'admin',
  'DELETE /api/v1/model-aliases/:name': 'admin',
  'GET /api/v1/usage': 'admin',
  'POST /api/v1/files': 'operator',
  'GET /api/v1/files': 'viewer',
  'GET /api/v1/files/:id': 'viewer',
  'GET /api/v1/files/:id/content': 'operator',
  'DELETE /api/v1/files/:id': 'operator',
  'POST /api/v1/fine_tuning/jobs': 'operator',
  'GET /api/v1/fine_tuning/jobs': 'viewer',
  'GET /api/v1/fine_tuning/jobs/:id': 'viewer',
  'POST /api/v1/fine_tuning/jobs/:id/cancel': 'operator',
  'GET /api/v1/fine_tuning/jobs/:id/events/stream': 'viewer',
  'GET /api/v1/fine_tuning/jobs/:id/events': 'viewer',
  'GET /api/v1/fine_tuning/jobs/:id/checkpoints': 'viewer',
  'GET /api/v1/fine_tuning/jobs/:id/metrics': 'viewer',
  'POST /api/v1/event-subscriptions': 'admin',
  'GET /api/v1/event-subscriptions': 'viewer',
  'GET /api/v1/event-subscriptions/:id': 'viewer',
  'DELETE /api/v1/event-subscriptions/:id': 'admin',
  'GET /api/v1/event-subscriptions/:id/deliveries': 'viewer',
  'GET /api/v1/drift': 'viewer',
  'GET /api/v1/drift/:id': 'viewer',
  'GET /api/v1/retraining-policies': 'viewer',
  'GET /api/v1/retraining-policies/:task': 'viewer',
  'PUT /api/v1/retraining-policies/:task': 'operator',
  'POST /api/v1/draft-batches': 'operator',
  'GET /api/v1/draft-batches/:id': 'viewer',
  'GET /api/v1/drafts': 'viewer',
  'GET /api/v1/drafts/stats': 'viewer',
  'GET /api/v1/models': 'viewer',
  'POST /api/v1/models/rollback': 'operator',
  'GET /api/v1/models/:id': 'viewer',
  'POST /api/v1/models/:id/promote': 'operator',
  'POST /api/v1/models/:id/reject': 'operator',
  'POST /api/v1/models/:id/ab-test': 'operator',
  'GET /api/v1/ab-tests/:id': 'viewer',
  'POST /api/v1/ab-tests/:id/end': 'operator',
  'GET /api/v1/models/:id/evaluations': 'viewer',
  'POST /api/v1/models/:id/evaluations': 'operator',
  'POST /api/v1/evaluations/:id/review-pairs': 'operator',
  'GET /api/v1/evaluations/:id/reviews': 'viewer',
  'GET /api/v1/reviews/next': 'compliance',
  'POST /api/v1/reviews/:id': 'compliance',
  'GET /api/v1/slack/grants': 'admin',
  'POST /api/v1/slack/grants': 'admin',
  'DELETE /api/v1/slack/grants/:subject/:role': 'admin',
};

/**
 * The dashboard's routes (src/web/dashboard/): a session cookie instead of a bearer token, the same
 * requireRole declarations. test/dashboard/ drives them with sessions of each role.
 */
export const DASHBOARD: Record<string, Role> = {
  'GET /': 'viewer',
  'GET /connections': 'viewer',
  'POST /connections': 'admin',
  'GET /connections/:id': 'viewer',
  'GET /connections/:id/runs': 'viewer',
  'POST /connections/:id/test': 'operator',
  'POST /connections/:id/harvest': 'operator',
  'GET /runs': 'viewer',
  'POST /runs': 'operator',
  'GET /runs/:id': 'viewer',
  'POST /runs/:id/cancel': 'operator',
  'GET /runs/:id/stream': 'viewer',
  'GET /datasets': 'viewer',
  'POST /datasets': 'operator',
  'POST /datasets/:id/build': 'operator',
  'GET /datasets/diff': 'viewer',
  'GET /datasets/versions/:id': 'viewer',
  'GET /datasets/versions/:id/files/:split': 'operator',
  'GET /models': 'viewer',
  'GET /models/:id': 'viewer',
  'POST /models/rollback': 'operator',
  'POST /models/:id/evaluate': 'operator',
  'POST /models/:id/promote': 'operator',
  'POST /models/:id/reject': 'operator',
  'POST /models/:id/ab-test': 'operator',
  'POST /models/ab/:id/end': 'operator',
  'GET /alerts': 'compliance',
  'GET /alerts/:id': 'compliance',
  'POST /alerts/:id/transitions': 'compliance',
  'GET /audit': 'compliance',
  'GET /drafts': 'viewer',
  'GET /drafts/review': 'compliance',
  'POST /drafts/review/:id': 'compliance',
};

/**
 * The OpenAI-compatible inference API (src/web/openai/): its own authentication (inference tokens, or
 * API tokens holding the role) answers in OpenAI's error shape; test/inference-api/ checks its refusals.
 */
const INFERENCE: Record<string, Role> = Object.fromEntries(
  [
    'POST /v1/chat/completions',
    'POST /v1/completions',
    'POST /v1/fine-tuned/:model{.+}/generate',
    'GET /v1/models',
    'GET /v1/models/:model{.+}',
    'POST /v1/files',
    'GET /v1/files/:id',
    'GET /v1/files/:id/content',
    'POST /v1/batches',
    'GET /v1/batches',
    'GET /v1/batches/:id',
    'POST /v1/batches/:id/cancel',
  ].map((key) => [key, 'inference' as Role]),
);

/** Routes that take no bearer token, each with the reason it needs none. */
const PUBLIC: Record<string, string> = {
  'GET /healthz': 'liveness probe',
  'GET /readyz': 'readiness probe',
  'GET /metrics': 'Prometheus scrape',
  'POST /webhooks/zendesk/:connectionId': 'vendor webhook, authenticated by its signature',
  'POST /webhooks/salesforce/:connectionId': 'vendor webhook, authenticated by its shared secret',
  'POST /webhooks/hubspot/:connectionId': 'vendor webhook, authenticated by its signature',
  'POST /webhooks/intercom/:connectionId': 'vendor webhook, authenticated by its signature',
  'POST /slack/events': 'Slack, authenticated by its signing secret',
  'GET /assets/:name': 'the dashboard\'s scripts and styles (htmx, uPlot, its own), the same for everyone',
  'GET /login': 'the dashboard\'s login form',
  'POST /login': 'logging in: checks the token it is given (and the form\'s CSRF cookie)',
  'POST /logout': 'ends the session its cookie names (CSRF-checked); needs no role',
  'GET /api/v1/openapi.json': 'the API description: its shape, no data (src/web/api-docs.ts)',
  'GET /api/docs': 'the API reference page',
  'GET /api/docs/init.js': "the reference page's script",
  'GET /api/docs/:file': "the reference page's Swagger UI files",
};

/** A token that lacks `role` but holds as much else as possible. */
const UNDER_PRIVILEGED: Record<Role, Role[]> = {
  admin: ['operator', 'compliance'],
  operator: ['compliance'],
  compliance: ['operator'],
  viewer: ['inference'],
  inference: ['operator', 'compliance'],
};

describe('route roles', () => {
  let database: TestDatabase;
  let app: ReturnType<typeof createApp>;
  const tokens = new Map<string, string>();

  beforeAll(async () => {
    database = await createTestDatabase();
    app = createApp(testDeps(database, null));
    for (const [needed, held] of Object.entries(UNDER_PRIVILEGED)) tokens.set(needed, (await createToken(database.db, `lacks-${needed}`, 'test', { roles: held })).token);
    const expired = await createToken(database.db, 'expired', 'test', { roles: ['admin'], expiresAt: new Date(Date.now() + 60_000) });
    await database.db.update(apiTokens).set({ expiresAt: new Date(Date.now() - 1000) }).where(eq(apiTokens.id, expired.info.id));
    tokens.set('expired', expired.token);
  });
  afterAll(async () => {
    await database.drop();
  });

  /** Every (method, path) of the app with the role its middleware declares, if any. */
  const declared = () => {
    const routes = new Map<string, Role | null>();
    for (const route of app.routes) {
      if (route.method === 'ALL') continue;
      const key = `${route.method} ${route.path}`;
      routes.set(key, declaredRole(route.handler) ?? routes.get(key) ?? null);
    }
    return routes;
  };

  it('gives every route a declared role that matches the table, or a reason to be public', () => {
    const routes = declared();
    const problems: string[] = [];
    for (const [key, role] of routes) {
      if (key in PUBLIC) {
        if (role) problems.push(`${key} is listed as public but declares ${role}`);
      } else if (!role) problems.push(`${key} declares no role`);
      else if ((EXPECTED[key] ?? DASHBOARD[key] ?? INFERENCE[key]) !== role) problems.push(`${key} declares ${role}, the table says ${EXPECTED[key] ?? DASHBOARD[key] ?? INFERENCE[key] ?? 'nothing'}`);
    }
    for (const key of [...Object.keys(EXPECTED), ...Object.keys(DASHBOARD), ...Object.keys(INFERENCE), ...Object.keys(PUBLIC)]) if (!routes.has(key)) problems.push(`${key} is in the table but not in the app`);
    expect(problems).toEqual([]);
  });

  /** Everything in the database except the audit log and tokens' last use, which a refusal may touch. */
  const snapshot = async () => {
    const tables = await database.db.execute<{ table_name: string }>(
      sql`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name NOT IN ('audit_events', 'api_tokens') ORDER BY table_name`,
    );
    const parts: string[] = [];
    for (const { table_name } of tables.rows) {
      const result = await database.db.execute<{ digest: string | null }>(sql`SELECT md5(string_agg(t::text, '|' ORDER BY t::text)) AS digest FROM ${sql.identifier(table_name)} t`);
      parts.push(`${table_name}:${result.rows[0]?.digest ?? 'empty'}`);
    }
    const tokenRows = await database.db.execute<{ digest: string }>(sql`SELECT md5(string_agg(concat_ws(',', id, name, roles::text, expires_at, revoked_at), '|' ORDER BY id)) AS digest FROM api_tokens`);
    parts.push(`api_tokens:${tokenRows.rows[0]?.digest}`);
    return parts.join('\n');
  };

  const concrete = (path: string) => path.replace(/:split\b/, 'train').replace(/:task\b/, 'reply').replace(/:v\b|:other\b/g, '1').replace(/:\w+/g, '00000000-0000-4000-8000-000000000000');

  it('refuses a missing, wrong, expired or under-privileged token on every route, changing nothing and auditing each 403', async () => {
    const before = await snapshot();
    const deniedBefore = (await database.db.select().from(auditEvents).where(eq(auditEvents.action, 'access.denied'))).length;
    const failures: string[] = [];
    let forbidden = 0;
    for (const [key, role] of Object.entries(EXPECTED)) {
      const [method = 'GET', pattern = ''] = key.split(' ');
      const path = concrete(pattern);
      const body = method === 'GET' ? undefined : JSON.stringify({ name: 'x', roles: ['admin'] });
      const send = (authorization?: string) =>
        app.request(path, { method, body, headers: { 'Content-Type': 'application/json', ...(authorization ? { Authorization: authorization } : {}) } });
      for (const [label, header, status] of [
        ['missing', undefined, 401],
        ['wrong', `Bearer tl_${'A'.repeat(43)}`, 401],
        ['expired', `Bearer ${tokens.get('expired')}`, 401],
        ['under-privileged', `Bearer ${tokens.get(role)}`, 403],
      ] as const) {
        const response = await send(header);
        if (response.status !== status) failures.push(`${key} with a ${label} token: ${response.status}, expected ${status}`);
        if (status === 403) {
          forbidden += 1;
          const error = (await response.json()) as { error: { code: string; message: string } };
          if (error.error.message !== `this needs the ${role} role`) failures.push(`${key}: ${error.error.message}`);
        }
      }
    }
    expect(failures).toEqual([]);
    expect(await snapshot()).toBe(before);
    const denied = await database.db.select().from(auditEvents).where(eq(auditEvents.action, 'access.denied'));
    expect(denied.length - deniedBefore).toBe(forbidden);
  });
});
