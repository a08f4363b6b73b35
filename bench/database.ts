/**
 * A throw-away database for one benchmark run: on DATABASE_URL's server when set, else on an
 * embedded PostgreSQL in a temporary directory. `done` drops it (and stops the embedded server).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres } from '../src/db/embedded.ts';

export async function benchDatabase(): Promise<{ url: string; done: () => Promise<void> }> {
  let adminUrl = process.env.DATABASE_URL;
  let stop = async () => undefined as unknown;
  let home: string | null = null;
  if (!adminUrl) {
    home = mkdtempSync(join(tmpdir(), 'tuneloop-bench-'));
    const embedded = await startEmbeddedPostgres({ dataDir: join(home, 'pg') });
    adminUrl = embedded.url;
    stop = () => embedded.stop();
  }
  const name = `tl_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async done() {
      await admin.query(`DROP DATABASE ${name} WITH (FORCE)`);
      await admin.end();
      await stop();
      if (home) rmSync(home, { recursive: true, force: true });
    },
  };
}
