/**
 * The API keeps its own database pool: with every client of the job handlers' pool held (long
 * jobs, a slow vendor inside a transaction), requests are still answered.
 */
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToken } from '../../src/auth/tokens.ts';
import { loadConfig } from '../../src/config.ts';
import { startHub, type Hub } from '../../src/main.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { captureLogger } from '../support/logger.ts';

describe('database pool starvation', () => {
  let database: TestDatabase;
  let hub: Hub;
  beforeAll(async () => {
    database = await createTestDatabase();
    hub = await startHub({ config: loadConfig({ DATABASE_URL: database.url, PORT: '0' }), log: captureLogger().log, serveHttp: true, queues: [] });
  });
  afterAll(async () => {
    await hub?.stop();
    await database?.drop();
  });

  it('answers API requests while the job pool has no free client', async () => {
    const { token } = await createToken(database.db, 'starved', 'test');
    // Every client of the jobs' pool (its max), held as a stuck job would hold them.
    const held: pg.PoolClient[] = await Promise.all(Array.from({ length: hub.database.pool.options.max }, () => hub.database.pool.connect()));
    try {
      expect(hub.database.pool.idleCount).toBe(0);
      const tokens = await fetch(`${hub.url}/api/v1/tokens`, { headers: { Authorization: `Bearer ${token}` } });
      expect(tokens.status).toBe(200);
      expect(((await tokens.json()) as { data: unknown[] }).data.length).toBeGreaterThan(0);
      expect((await fetch(`${hub.url}/readyz`)).status).toBe(200);
    } finally {
      for (const client of held) client.release();
    }
  });
});
