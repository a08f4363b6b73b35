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

describe('token roles migration', () => {
  it('turns tokens made before roles existed into admin tokens', async () => {
    const { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { migrate } = await import('drizzle-orm/node-postgres/migrator');
    const { MIGRATIONS_FOLDER } = await import('../../src/db/migrate.ts');
    const empty = await createEmptyDatabase();
    const database = connectDatabase(empty.url);
    const folder = mkdtempSync(join(tmpdir(), 'tl-migrations-'));
    try {
      // The migrations as they were before roles: the journal cut just before the roles migration.
      cpSync(MIGRATIONS_FOLDER, folder, { recursive: true });
      const journalPath = join(folder, 'meta/_journal.json');
      const journal = JSON.parse(readFileSync(journalPath, 'utf8')) as { entries: Array<{ tag: string }> };
      const cut = journal.entries.findIndex((entry) => entry.tag.endsWith('_token_roles'));
      expect(cut).toBeGreaterThan(0);
      writeFileSync(journalPath, JSON.stringify({ ...journal, entries: journal.entries.slice(0, cut) }));
      await migrate(database.db, { migrationsFolder: folder });
      await database.db.execute(sql`INSERT INTO api_tokens (name, prefix, hash) VALUES ('old', 'tl_old', 'deadbeef')`);

      await applyMigrations(database);
      const rows = await database.db.execute<{ name: string; roles: string[] }>(sql`SELECT name, roles FROM api_tokens`);
      expect(rows.rows).toEqual([{ name: 'old', roles: ['admin'] }]);
      // A row written later without roles gets none: nothing is granted by default.
      await database.db.execute(sql`INSERT INTO api_tokens (name, prefix, hash) VALUES ('new', 'tl_new', 'cafe')`);
      const fresh = await database.db.execute<{ roles: string[] }>(sql`SELECT roles FROM api_tokens WHERE name = 'new'`);
      expect(fresh.rows[0]?.roles).toEqual([]);
    } finally {
      rmSync(folder, { recursive: true, force: true });
      await database.close();
      await empty.drop();
    }
  });
});
