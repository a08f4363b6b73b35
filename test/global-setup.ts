/**
 * One PostgreSQL server for the whole test run: the machine's (DATABASE_URL) when set, else an
 * embedded one in a temporary directory of its own (concurrent runs never share it; servers left by
 * runs killed before their teardown are stopped by the next run). Each test file creates its own database on it
 * (test/support/database.ts), so files run in parallel without seeing each other's rows.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import './support/provided.ts';
import { startEmbeddedPostgres, stopEmbeddedPostgres, type EmbeddedPostgresHandle } from '../src/db/embedded.ts';

const PREFIX = 'tuneloop-test-pg-';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Servers of earlier runs that were killed before their teardown (a timeout, kill -9) are stopped and removed. */
async function removeOrphans(): Promise<void> {
  for (const name of readdirSync(tmpdir()).filter((entry) => entry.startsWith(PREFIX))) {
    const dir = join(tmpdir(), name);
    const ownerFile = join(dir, 'owner.pid');
    const owner = existsSync(ownerFile) ? Number(readFileSync(ownerFile, 'utf8')) : null;
    // Without an owner file, only a directory old enough not to be a run that is just starting.
    const orphan = owner !== null ? !alive(owner) : Date.now() - statSync(dir).mtimeMs > 10 * 60_000;
    if (!orphan) continue;
    await stopEmbeddedPostgres(join(dir, 'pg'));
    rmSync(dir, { recursive: true, force: true });
  }
}

let embedded: EmbeddedPostgresHandle | null = null;
let home: string | null = null;

export default async function setup(project: TestProject) {
  let adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) {
    await removeOrphans();
    home = mkdtempSync(join(tmpdir(), PREFIX));
    writeFileSync(join(home, 'owner.pid'), String(process.pid));
    embedded = await startEmbeddedPostgres({ dataDir: join(home, 'pg') });
    adminUrl = embedded.url;
  }
  project.provide('adminDatabaseUrl', adminUrl);
  return async () => {
    await embedded?.stop();
    if (home) rmSync(home, { recursive: true, force: true });
  };
}
