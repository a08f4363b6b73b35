/**
 * One PostgreSQL server for the whole test run: the machine's (DATABASE_URL) when set, else an
 * embedded one under .tuneloop/test-pg. Each test file then creates its own database on it
 * (test/support/database.ts), so files run in parallel without seeing each other's rows.
 */
import type { TestProject } from 'vitest/node';
import './support/provided.ts';
import { startEmbeddedPostgres, type EmbeddedPostgresHandle } from '../src/db/embedded.ts';

let embedded: EmbeddedPostgresHandle | null = null;

export default async function setup(project: TestProject) {
  let adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) {
    embedded = await startEmbeddedPostgres({ dataDir: '.tuneloop/test-pg' });
    adminUrl = embedded.url;
  }
  project.provide('adminDatabaseUrl', adminUrl);
  return async () => {
    await embedded?.stop();
  };
}
