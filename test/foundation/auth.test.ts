import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.ts';
import { createToken, revokeToken } from '../../src/auth/tokens.ts';
import { auditEvents, apiTokens } from '../../src/db/schema/index.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { testDeps } from '../support/app.ts';

describe('API token authentication', () => {
  let database: TestDatabase;
  let app: ReturnType<typeof createApp>;
  let token: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    app = createApp(testDeps(database, null));
    token = (await createToken(database.db, 'tests', 'test')).token;
  });
  afterAll(async () => {
    await database.drop();
  });

  const get = (headers: Record<string, string> = {}) => app.request('/api/v1/tokens', { headers });

  it('accepts a valid token and never returns token values or hashes', async () => {
    const response = await get({ Authorization: `Bearer ${token}` });
    expect(response.status).toBe(200);
    const body = JSON.stringify(await response.json());
    expect(body).toContain('"name":"tests"');
    expect(body).not.toContain(token);
    expect(body).not.toMatch(/"hash"/);
  });

  it('rejects a missing header with 401 and a JSON error', async () => {
    const response = await get();
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toContain('Bearer');
    expect(await response.json()).toEqual({ error: { code: 'unauthorized', message: expect.stringContaining('missing') } });
  });

  it('rejects wrong and malformed tokens', async () => {
    for (const value of ['Bearer tl_' + 'x'.repeat(43), 'Bearer nonsense', `Basic ${token}`, `Bearer ${token}x`]) {
      const response = await get({ Authorization: value });
      expect(response.status, value).toBe(401);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
    }
  });

  it('changes nothing on an unauthenticated write', async () => {
    const before = await database.db.select().from(apiTokens);
    const response = await app.request('/api/v1/tokens', { method: 'POST', body: JSON.stringify({ name: 'sneaky' }), headers: { 'Content-Type': 'application/json' } });
    expect(response.status).toBe(401);
    expect(await database.db.select().from(apiTokens)).toHaveLength(before.length);
  });

  it('creates a token through the API (shown once), validates the body, and revokes', async () => {
    const headers = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' };
    const bad = await app.request('/api/v1/tokens', { method: 'POST', body: JSON.stringify({ name: '' }), headers });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('invalid_request');
    const notJson = await app.request('/api/v1/tokens', { method: 'POST', body: '{nope', headers });
    expect(notJson.status).toBe(400);

    const created = await app.request('/api/v1/tokens', { method: 'POST', body: JSON.stringify({ name: 'second', roles: ['admin'] }), headers });
    expect(created.status).toBe(201);
    const { id, token: second } = (await created.json()) as { id: string; token: string };
    expect((await get({ Authorization: `Bearer ${second}` })).status).toBe(200);

    const revoked = await app.request(`/api/v1/tokens/${id}`, { method: 'DELETE', headers });
    expect(revoked.status).toBe(200);
    expect((await get({ Authorization: `Bearer ${second}` })).status).toBe(401);
    const audit = await database.db.select().from(auditEvents);
    expect(audit.map((event) => event.action)).toEqual(expect.arrayContaining(['token.created', 'token.revoked']));
  });

  it('rejects a revoked token', async () => {
    const { token: doomed } = await createToken(database.db, 'doomed', 'test');
    expect((await get({ Authorization: `Bearer ${doomed}` })).status).toBe(200);
    expect(await revokeToken(database.db, 'doomed', 'test')).toBe(1);
    expect((await get({ Authorization: `Bearer ${doomed}` })).status).toBe(401);
  });

  it('answers unknown routes and errors as JSON, never a stack trace', async () => {
    const response = await app.request('/api/v1/nothing-here', { headers: { Authorization: `Bearer ${token}` } });
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: { code: 'not_found', message: expect.any(String) } });
  });
});
