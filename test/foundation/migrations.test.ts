import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { connectDatabase } from '../../src/db/client.ts';
import { applyMigrations, migrationsApplied } from '../../src/db/migrate.ts';
import { createEmptyDatabase } from '../support/database.ts';

describe('migrations', () => {
  let empty: Awaited<ReturnType<typeof createEmptyDatabase>>;
  beforeAll(async () => {
    empty = await createEmptyDatabase();
  });
  afterAll(async () => {
    await empty.drop();
  });

  it('migrate an empty database, concurrently and repeatedly, to the current schema', async () => {
    const a = connectDatabase(empty.url);
    const b = connectDatabase(empty.url);
    try {
      // Two replicas starting at once: the advisory lock serialises them.
      await Promise.all([applyMigrations(a), applyMigrations(b)]);
      await applyMigrations(a);
      expect(await migrationsApplied(a)).toBe(true);
      const tables = await a.db.execute<{ table_name: string }>(
        sql`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`,
      );
      expect(tables.rows.map((row) => row.table_name)).toEqual(expect.arrayContaining(['api_tokens', 'audit_events']));
    } finally {
      await a.close();
      await b.close();
    }
  });
});
