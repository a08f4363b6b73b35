/**
 * kill -9 of a `tuneloop gdpr erase` process mid-way: the erasure stays unfinished, and
 * `tuneloop gdpr resume` finishes it from the step it had reached, with nothing of the subject left.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gdprErasures } from '../../src/db/schema/index.ts';
import { runCli, startCli } from '../support/cli.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { TEST_KEY } from '../support/harvest.ts';
import { harvestSandbox, tempHome, type HarvestedSandbox } from '../datasets/helpers.ts';

describe('a CLI erasure killed with -9', () => {
  let database: TestDatabase;
  let harvested: HarvestedSandbox;
  const home = tempHome();

  beforeAll(async () => {
    database = await createTestDatabase();
    harvested = await harvestSandbox(database, { seed: 71, tickets: 80, name: 'zd-gdpr-kill' });
  }, 120_000);
  afterAll(async () => {
    await harvested?.close();
    await database?.drop();
    home.remove();
  });

  it('is finished by `gdpr resume`', { timeout: 240_000 }, async () => {
    const env = { DATABASE_URL: database.url, TUNELOOP_HOME: home.home, TUNELOOP_ENCRYPTION_KEY: TEST_KEY.toString('base64'), LOG_LEVEL: 'warn' };
    const email = (await database.db.execute<{ email: string }>(sql`SELECT requester->>'email' AS email FROM conversations WHERE requester->>'email' IS NOT NULL ORDER BY id LIMIT 1`)).rows[0]!.email;

    const first = startCli(['gdpr', 'erase', '--email', email], env);
    let exited = false;
    void first.exited.then(() => (exited = true));
    // Killed as soon as the erasure exists: before, during or after its database step.
    for (;;) {
      if ((await database.db.$count(gdprErasures)) > 0) break;
      if (exited) throw new Error(`the erasure ended before it could be killed:\n${first.output()}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    first.child.kill('SIGKILL');
    await first.exited;
    const [killed] = await database.db.select().from(gdprErasures);
    expect(killed?.status).not.toBe('done');

    const resumed = runCli(['gdpr', 'resume'], env);
    expect(resumed.status, resumed.stderr).toBe(0);
    const [row] = JSON.parse(resumed.stdout) as Array<{ id: string; status: string; stepsDone: string[]; report: { database: { conversations: number } } }>;
    expect(row).toMatchObject({ id: killed?.id, status: 'done', stepsDone: ['database', 'files', 'outside', 'residue', 'retrain'] });
    expect(row?.report.database.conversations).toBeGreaterThan(0);
    const left = await database.db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM conversations c WHERE position(${email} in lower(c::text)) > 0`);
    expect(left.rows[0]?.n).toBe(0);
    expect(resumed.stdout).not.toContain(email);
  });
});
