import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.ts';
import { createToken, parseDuration, verifyToken } from '../../src/auth/tokens.ts';
import { apiTokens, auditEvents } from '../../src/db/schema/index.ts';
import { runCli } from '../support/cli.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { testDeps } from '../support/app.ts';

describe('token roles and expiry', () => {
  let database: TestDatabase;
  let app: ReturnType<typeof createApp>;
  let admin: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    app = createApp(testDeps(database, null));
    admin = (await createToken(database.db, 'root', 'test', { roles: ['admin'] })).token;
  });
  afterAll(async () => {
    await database.drop();
  });

  const json = { 'Content-Type': 'application/json' };
  const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

  it('creates a token with roles and an expiry through the API', async () => {
    const response = await app.request('/api/v1/tokens', {
      method: 'POST',
      headers: { ...bearer(admin), ...json },
      body: JSON.stringify({ name: 'ops', roles: ['operator', 'viewer'], expiresIn: '30d' }),
    });
    expect(response.status).toBe(201);
    const body = (await response.json()) as { roles: string[]; expiresAt: string; token: string };
    expect(body.roles).toEqual(['operator', 'viewer']);
    const lifetime = new Date(body.expiresAt).getTime() - Date.now();
    expect(lifetime).toBeGreaterThan(29 * 86_400_000);
    expect(lifetime).toBeLessThanOrEqual(30 * 86_400_000);
    expect((await verifyToken(database.db, body.token))?.roles).toEqual(['operator', 'viewer']);
  });

  it('refuses bad roles and expiries with 400, creating nothing', async () => {
    const before = (await database.db.select().from(apiTokens)).length;
    for (const bad of [
      { name: 'x' },
      { name: 'x', roles: [] },
      { name: 'x', roles: ['root'] },
      { name: 'x', roles: ['viewer'], expiresIn: 'soon' },
      { name: 'x', roles: ['viewer'], expiresIn: '0d' },
      { name: 'x', roles: ['viewer'], expiresAt: '2001-01-01T00:00:00Z' },
      { name: 'x', roles: ['viewer'], expiresIn: '1d', expiresAt: '2999-01-01T00:00:00Z' },
    ]) {
      const response = await app.request('/api/v1/tokens', { method: 'POST', headers: { ...bearer(admin), ...json }, body: JSON.stringify(bad) });
      expect(response.status, JSON.stringify(bad)).toBe(400);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('invalid_request');
    }
    expect(await database.db.select().from(apiTokens)).toHaveLength(before);
  });

  it('refuses an expired token with 401', async () => {
    const { token, info } = await createToken(database.db, 'brief', 'test', { roles: ['admin'], expiresAt: new Date(Date.now() + 60_000) });
    expect((await app.request('/api/v1/tokens', { headers: bearer(token) })).status).toBe(200);
    await database.db.update(apiTokens).set({ expiresAt: new Date(Date.now() - 1000) }).where(eq(apiTokens.id, info.id));
    const response = await app.request('/api/v1/tokens', { headers: bearer(token) });
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ error: { code: 'unauthorized', message: expect.stringContaining('expired') } });
  });

  it('answers 403 naming the missing role, audits the refusal, and changes nothing', async () => {
    const { token } = await createToken(database.db, 'watcher', 'test', { roles: ['viewer'] });
    const before = (await database.db.select().from(apiTokens)).length;
    const response = await app.request('/api/v1/tokens', { method: 'POST', headers: { ...bearer(token), ...json }, body: JSON.stringify({ name: 'mine', roles: ['admin'] }) });
    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({ error: { code: 'forbidden', message: 'this needs the admin role', role: 'admin' } });
    expect(await database.db.select().from(apiTokens)).toHaveLength(before);
    const denied = await database.db.select().from(auditEvents).where(eq(auditEvents.action, 'access.denied'));
    expect(denied).toEqual([
      expect.objectContaining({ actor: 'token:watcher', subjectType: 'route', subjectId: 'POST /api/v1/tokens', details: expect.objectContaining({ needed: 'admin', held: ['viewer'] }) }),
    ]);
  });

  it('parses durations', () => {
    expect(parseDuration('90m')).toBe(90 * 60_000);
    expect(parseDuration('30d')).toBe(30 * 86_400_000);
    expect(parseDuration('2w')).toBe(14 * 86_400_000);
    for (const bad of ['', '0d', '3y', '-1d', '1.5h', 'd']) expect(parseDuration(bad), bad).toBeNull();
  });

  it('creates role-carrying tokens from the CLI and rejects unknown roles', () => {
    const env = { DATABASE_URL: database.url, LOG_LEVEL: 'warn' };
    const created = runCli(['token', 'create', '--name', 'cli-ops', '--role', 'operator', '--role', 'compliance', '--expires-in', '12h'], env);
    expect(created.status, created.stderr).toBe(0);
    expect(created.stdout.trim()).toMatch(/^tl_/);
    expect(created.stderr).toContain('operator, compliance');
    const bad = runCli(['token', 'create', '--name', 'cli-bad', '--role', 'root'], env);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--role must be one of');
    const noRole = runCli(['token', 'create', '--name', 'cli-none'], env);
    expect(noRole.status).not.toBe(0);
    const list = runCli(['token', 'list', '--json'], env);
    const tokens = JSON.parse(list.stdout) as Array<{ name: string; roles: string[]; expiresAt: string | null }>;
    expect(tokens.find((t) => t.name === 'cli-ops')).toEqual(expect.objectContaining({ roles: ['operator', 'compliance'], expiresAt: expect.any(String) }));
    expect(tokens.some((t) => t.name === 'cli-bad' || t.name === 'cli-none')).toBe(false);
    // Four CLI processes, each loading the hub's modules: slow on a loaded machine, not a hang.
  }, 240_000);
});
