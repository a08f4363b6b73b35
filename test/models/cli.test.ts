import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { productionModel } from '../../src/models/registry/registry.ts';
import { runCli } from '../support/cli.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { insertEvaluation, insertModel } from './support.ts';

/** `tuneloop models …` as a user runs it; each run starts the whole CLI (seconds), so the test keeps to the commands that matter. */
describe('tuneloop models', () => {
  let database: TestDatabase;
  const home = mkdtempSync(join(tmpdir(), 'tuneloop-models-'));
  const cli = (args: string[]) => runCli(['models', ...args], { DATABASE_URL: database.url, TUNELOOP_HOME: home, LOG_LEVEL: 'warn' });

  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database.drop();
    rmSync(home, { recursive: true, force: true });
  });

  it('promote through the gate, blocked promote with its verdict, --force needs --reason, forced promote audited, rollback', async () => {
    const { db } = database;
    const first = await insertModel(db, 'triage');
    await insertEvaluation(db, first.id, { task: 'triage', candidate: { macro_f1: 0.62 }, baseline: { macro_f1: 0.4 } });
    const promoted = cli(['promote', first.id]);
    expect(promoted.stderr).toBe('');
    expect(promoted.status).toBe(0);
    expect(promoted.stdout).toContain('gate: allowed');
    expect(promoted.stdout).toContain(`promoted: model ${first.id} is production for triage`);

    const bad = await insertModel(db, 'triage');
    await insertEvaluation(db, bad.id, { task: 'triage', candidate: { macro_f1: 0.1 }, baseline: { macro_f1: 0.62 }, baselineId: first.id });
    const blocked = cli(['promote', bad.id]);
    expect(blocked.status).toBe(1);
    expect(blocked.stdout).toMatch(/FAIL {2}macro_f1 +candidate 0.1 {2}baseline 0.62/);
    expect(blocked.stderr).toContain('promotion blocked by the gate: worse than production on macro_f1 0.1 vs 0.62');

    const noReason = cli(['promote', bad.id, '--force']);
    expect(noReason.status).toBe(2);
    expect(noReason.stderr).toContain('--force needs --reason');

    const forced = cli(['promote', bad.id, '--force', '--reason', 'new intents only it knows']);
    expect(forced.status).toBe(0);
    expect(forced.stdout).toContain(`promoted: model ${bad.id} is production for triage (was ${first.id}) — FORCED past the gate`);
    const audits = await db.execute<{ actor: string; reason: string }>(sql`SELECT actor, details->>'reason' AS reason FROM audit_events WHERE action = 'model.promote_forced'`);
    expect(audits.rows).toEqual([{ actor: 'cli', reason: 'new intents only it knows' }]);
    expect((await productionModel(db, 'triage'))?.id).toBe(bad.id);

    const listed = cli(['list', '--task', 'triage']);
    expect(listed.stdout).toMatch(new RegExp(`${bad.id}  triage +production`));
    expect(listed.stdout).toMatch(new RegExp(`${first.id}  triage +archived`));

    const back = cli(['rollback', '--task', 'triage', '--reason', 'misroutes']);
    expect(back.status, back.stderr).toBe(0);
    expect(back.stdout).toContain(`rolled back: model ${first.id} is production for triage (was ${bad.id})`);
    const shown = JSON.parse(cli(['show', first.id]).stdout) as Record<string, unknown>;
    expect(shown).toMatchObject({ id: first.id, status: 'production', gate: null, evaluation: { status: 'succeeded' } });

    // On demand: a new evaluation is queued for the hub's workers, once while it waits.
    const evaluate = cli(['evaluate', first.id]);
    expect(evaluate.status, evaluate.stderr).toBe(0);
    expect(evaluate.stdout).toMatch(new RegExp(`^queued: evaluation [0-9a-f-]{36} of model ${first.id}`));
    expect(cli(['evaluate', first.id]).stdout).toMatch(/^already queued: evaluation/);
    const queued = await db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'model.evaluate' AND data->>'modelId' = ${first.id}`);
    expect(queued.rows[0]?.n).toBe(1);

    expect(cli(['rollback', '--task', 'nope']).status).toBe(2);
    expect(cli(['show', '00000000-0000-4000-8000-0000000000aa']).stderr).toContain('no model');
  }, 180_000);

  it('A/B test: start, show, end by rejecting', async () => {
    const candidate = await insertModel(database.db, 'triage');
    const started = cli(['ab', 'start', candidate.id, '--share', '0.2']);
    const abTestId = /A\/B test (\S+) started: candidate \S+ gets 20% of triage tickets/.exec(started.stdout)?.[1];
    expect(abTestId, started.stderr).toBeDefined();
    expect(JSON.parse(cli(['ab', 'show', String(abTestId)]).stdout)).toMatchObject({ id: abTestId, status: 'running', share: 0.2, arms: { candidate: { model_id: candidate.id, drafts: 0 } } });
    const ended = cli(['ab', 'end', String(abTestId), '--reject']);
    expect(ended.stdout).toContain(`A/B test ${abTestId} rejected`);
    expect(cli(['ab', 'end', String(abTestId)]).stderr).toContain('exactly one of --promote or --reject');
  }, 120_000);
});
