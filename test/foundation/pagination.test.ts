/**
 * Cursor pagination (`?limit=&cursor=` → `{data, next_cursor}`): every row exactly once, in order,
 * even when rows share a created_at down to the microsecond; a foreign cursor is a 400.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.ts';
import { recordAudit } from '../../src/audit.ts';
import { createToken } from '../../src/auth/tokens.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { testDeps } from '../support/app.ts';

describe('cursor pagination', () => {
  let database: TestDatabase;
  let app: ReturnType<typeof createApp>;
  let headers: Record<string, string>;

  beforeAll(async () => {
    database = await createTestDatabase();
    app = createApp(testDeps(database, null));
    headers = { Authorization: `Bearer ${(await createToken(database.db, 'auditor', 'test', { roles: ['compliance', 'operator'] })).token}` };
  });
  afterAll(async () => {
    await database.drop();
  });

  /** Follows next_cursor to the end and returns every page. */
  const pages = async (path: string) => {
    const seen: Array<Array<Record<string, unknown>>> = [];
    let url: string | null = path;
    while (url) {
      const response = await app.request(url, { headers });
      expect(response.status, url).toBe(200);
      const body = (await response.json()) as { data: Array<Record<string, unknown>>; next_cursor: string | null };
      seen.push(body.data);
      url = body.next_cursor ? `${path}${path.includes('?') ? '&' : '?'}cursor=${body.next_cursor}` : null;
      expect(seen.length).toBeLessThan(50);
    }
    return seen;
  };

  it('pages the audit log newest first, with filters, each event once', async () => {
    for (let i = 0; i < 7; i += 1) await recordAudit(database.db, { actor: 'test', action: `thing.step${i}`, subjectType: 'thing', subjectId: String(i) });
    await recordAudit(database.db, { actor: 'other', action: 'other.done', subjectType: 'thing', subjectId: 'x' });

    const all = await pages('/api/v1/audit-events?limit=3&action=thing.');
    expect(all.map((page) => page.length)).toEqual([3, 3, 1]);
    expect(all.flat().map((event) => event.subjectId)).toEqual(['6', '5', '4', '3', '2', '1', '0']);
    const byActor = await pages('/api/v1/audit-events?actor=other');
    expect(byActor.flat().map((event) => event.action)).toEqual(['other.done']);
  });

  it('pages harvest runs that share a created_at, each once', async () => {
    await database.db.execute(sql`INSERT INTO connections (vendor, name, settings, credentials_encrypted) VALUES ('zendesk', 'paged', '{}', 'x')`);
    // One statement, one now(): all five rows tie on created_at, so only the id orders them.
    await database.db.execute(sql`INSERT INTO harvest_runs (connection_id, trigger) SELECT id, 'manual' FROM connections, generate_series(1, 5)`);
    const all = await pages('/api/v1/harvests?limit=2');
    expect(all.map((page) => page.length)).toEqual([2, 2, 1]);
    const ids = all.flat().map((run) => run.id);
    expect(new Set(ids).size).toBe(5);
    expect(ids).toEqual([...ids].sort().reverse());
  });

  it('refuses a cursor it did not make, and a bad limit', async () => {
    for (const path of ['/api/v1/audit-events?cursor=nope', '/api/v1/harvests?cursor=bm9wZQ', '/api/v1/alerts?cursor=%25%25', '/api/v1/drafts?limit=0', '/api/v1/harvests?limit=501']) {
      const response = await app.request(path, { headers });
      expect(response.status, path).toBe(400);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('invalid_request');
    }
  });

  it('answers a JSON route given another content type with 415 in the error shape, changing nothing', async () => {
    const response = await app.request('/api/v1/datasets', { method: 'POST', headers: { ...headers, 'Content-Type': 'text/plain' }, body: 'name=x' });
    expect(response.status).toBe(415);
    expect(await response.json()).toEqual({ error: { code: 'unsupported_media_type', message: expect.any(String) } });
    const listed = (await (await app.request('/api/v1/datasets', { headers })).json()) as { data: unknown[] };
    expect(listed.data).toEqual([]);
  });

  it('lets only compliance (and admin) read the audit log', async () => {
    const { token } = await createToken(database.db, 'ops', 'test', { roles: ['operator'] });
    const response = await app.request('/api/v1/audit-events', { headers: { Authorization: `Bearer ${token}` } });
    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({ error: { code: 'forbidden', message: 'this needs the compliance role', role: 'compliance' } });
  });
});
