/**
 * One PostgreSQL server for the whole test run: the machine's (DATABASE_URL) when set, else an
 * embedded one in a temporary directory of its own (concurrent runs never share it). Each test file then creates its own database on it
 * (test/support/database.ts), so files run in parallel without seeing each other's rows.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import './support/provided.ts';
import { startEmbeddedPostgres, type EmbeddedPostgresHandle } from '../src/db/embedded.ts';

let embedded: EmbeddedPostgresHandle | null = null;
let home: string | null = null;

export default async function setup(project: TestProject) {
  let adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) {
    home = mkdtempSync(join(tmpdir(), 'tuneloop-test-pg-'));
    embedded = await startEmbeddedPostgres({ dataDir: join(home, 'pg') });
    adminUrl = embedded.url;
  }
  project.provide('adminDatabaseUrl', adminUrl);
  return async () => {
    await embedded?.stop();
    if (home) rmSync(home, { recursive: true, force: true });
  };
}
