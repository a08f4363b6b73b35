import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.ts';
import { createToken } from '../../src/auth/tokens.ts';
import { startQueue, type Queue } from '../../src/queue/queue.ts';
import { testDeps } from '../support/app.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { captureLogger } from '../support/logger.ts';
import { insertEvaluation, insertModel } from './support.ts';

/** /api/v1/models and /api/v1/ab-tests through app.request(): auth, validation, the gate's 409, and the happy paths. */
describe('models API', () => {
  let database: TestDatabase;
  let queue: Queue;
  let app: ReturnType<typeof createApp>;
  let headers: Record<string, string>;

  beforeAll(async () => {
    database = await createTestDatabase();
    queue = await startQueue({ url: database.url, schema: 'pgboss', log: captureLogger().log });
    app = createApp(testDeps(database, queue, { GATE_METRIC_TOLERANCES: 'chrf=0.5' }));
    headers = { Authorization: `Bearer ${(await createToken(database.db, 'lead', 'test')).token}`, 'Content-Type': 'application/json' };
  });
  afterAll(async () => {
    await queue.stop({ timeoutMs: 1_000 });
    await database.drop();
  });

  const call = async (method: string, path: string, body?: unknown) => {
    const response = await app.request(`/api/v1${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: response.status, body: (await response.json()) as Record<string, any> };
  };
  const notifications = async () => Number((await database.db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'slack.notify' AND data->>'kind' = 'model.promoted'`)).rows[0]?.n);

  it('answers 401 without a valid token, before anything else', async () => {
    const model = await insertModel(database.db, 'triage');
    for (const [method, path] of [['GET', '/models'], ['GET', `/models/${model.id}`], ['POST', `/models/${model.id}/promote`], ['POST', '/models/rollback'], ['GET', `/ab-tests/${model.id}`]] as const) {
      const response = await app.request(`/api/v1${path}`, { method, headers: { 'Content-Type': 'application/json' }, body: method === 'POST' ? '{}' : undefined });
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({ error: { code: 'unauthorized' } });
    }
    expect((await call('GET', `/models/${model.id}`)).body.status).toBe('candidate');
  });

  it('lists with filters and keyset pages; shows a model with its evaluation and gate verdict', async () => {
    const base = await insertModel(database.db, 'compliance');
    const candidate = await insertModel(database.db, 'compliance');
    await insertEvaluation(database.db, candidate.id, { task: 'compliance', candidate: { recall: 0.9, precision: 0.8 }, baseline: { recall: 0.9, precision: 0.85 } });
    const page1 = await call('GET', '/models?task=compliance&limit=1');
    expect(page1.body).toMatchObject({ object: 'list', has_more: true, data: [{ id: candidate.id, task: 'compliance', status: 'candidate' }] });
    const page2 = await call('GET', `/models?task=compliance&limit=1&after=${page1.body.last_id}`);
    expect(page2.body).toMatchObject({ has_more: false, data: [{ id: base.id }] });
    // The same pages through the cursor every list shares.
    expect(page1.body.next_cursor).toEqual(expect.any(String));
    const viaCursor = await call('GET', `/models?task=compliance&limit=1&cursor=${page1.body.next_cursor}`);
    expect(viaCursor.body).toMatchObject({ next_cursor: null, data: [{ id: base.id }] });
    expect((await call('GET', '/models?status=production&task=compliance')).body.data).toEqual([]);

    const shown = await call('GET', `/models/${candidate.id}`);
    expect(shown.status).toBe(200);
    expect(shown.body.evaluation).toMatchObject({ status: 'succeeded', report: { candidate: { recall: 0.9 } } });
    expect(shown.body.gate).toMatchObject({
      allowed: false,
      baseline: { label: 'base', model_id: null },
      metrics: [
        { metric: 'recall', candidate: 0.9, baseline: 0.9, pass: true },
        { metric: 'precision', candidate: 0.8, baseline: 0.85, pass: false },
      ],
    });
  });

  it('answers 400 for bad bodies and queries, 404 for unknown ids', async () => {
    const model = await insertModel(database.db, 'triage');
    const bad: Array<[string, string, unknown, RegExp]> = [
      ['POST', `/models/${model.id}/promote`, { force: true }, /reason: a forced promotion needs a reason/],
      ['POST', `/models/${model.id}/promote`, { force: true, reason: '   ' }, /reason/],
      ['POST', `/models/${model.id}/promote`, { force: 'yes' }, /force/],
      ['POST', `/models/${model.id}/ab-test`, { share: 0 }, /share/],
      ['POST', `/models/${model.id}/ab-test`, { share: 1.2 }, /share/],
      ['POST', '/models/rollback', { task: 'poetry' }, /task/],
      ['POST', '/models/rollback', {}, /task/],
      ['GET', '/models?status=deleted', undefined, /status/],
      ['GET', '/models?limit=1000', undefined, /limit/],
    ];
    for (const [method, path, body, message] of bad) {
      const answer = await call(method, path, body);
      expect(answer.status, `${method} ${path}`).toBe(400);
      expect(answer.body.error.code).toBe('invalid_request');
      expect(answer.body.error.message).toMatch(message);
    }
    const missing = '00000000-0000-4000-8000-0000000000aa';
    for (const [method, path, body] of [['GET', `/models/${missing}`], ['GET', '/models/not-a-uuid'], ['POST', `/models/${missing}/promote`, {}], ['POST', `/models/${missing}/reject`, {}], ['GET', `/ab-tests/${missing}`], ['POST', `/ab-tests/${missing}/end`, { outcome: 'reject' }]] as const) {
      const answer = await call(method, path, body);
      expect(answer.status, `${method} ${path}`).toBe(404);
      expect(answer.body.error.code).toBe('not_found');
    }
  });

  it('promotes through the gate (409 when blocked), forces with a reason, rolls back, and notifies Slack in the same transaction', async () => {
    const first = await insertModel(database.db, 'reply');
    // chrF 0.3 below the base is within the configured chrf tolerance of 0.5.
    await insertEvaluation(database.db, first.id, { candidate: { chrf: 39.7 }, baseline: { chrf: 40 } });
    const promoted = await call('POST', `/models/${first.id}/promote`, {});
    expect(promoted.status).toBe(200);
    expect(promoted.body).toMatchObject({ forced: false, model: { id: first.id, status: 'production' }, previous: null, gate: { allowed: true, metrics: [{ metric: 'chrf', tolerance: 0.5, pass: true }] } });
    expect(await notifications()).toBe(1);
    expect((await call('POST', `/models/${first.id}/promote`, {})).status).toBe(409);
    expect((await call('POST', `/models/${first.id}/reject`, {})).body.error.code).toBe('conflict');

    const worse = await insertModel(database.db, 'reply');
    await insertEvaluation(database.db, worse.id, { candidate: { chrf: 20 }, baseline: { chrf: 39.7 }, baselineId: first.id });
    const blocked = await call('POST', `/models/${worse.id}/promote`, {});
    expect(blocked.status).toBe(409);
    expect(blocked.body.error).toEqual({ code: 'gate_blocked', message: 'promotion blocked by the gate: worse than production on chrf 20 vs 39.7' });
    expect(await notifications()).toBe(1);

    const forced = await call('POST', `/models/${worse.id}/promote`, { force: true, reason: 'customer escalation' });
    expect(forced.body).toMatchObject({ forced: true, model: { id: worse.id, status: 'production' }, previous: { id: first.id, status: 'archived' }, gate: { allowed: false } });
    const [audit] = (await database.db.execute<{ actor: string; details: Record<string, unknown> }>(sql`SELECT actor, details FROM audit_events WHERE action = 'model.promote_forced' AND subject_id = ${worse.id}`)).rows;
    expect(audit).toMatchObject({ actor: 'token:lead', details: { reason: 'customer escalation', forced: true } });

    const back = await call('POST', '/models/rollback', { task: 'reply', reason: 'drafts got worse' });
    expect(back.body).toMatchObject({ model: { id: first.id, status: 'production' }, previous: { id: worse.id, status: 'archived' } });
    expect(await notifications()).toBe(3);
    expect((await call('POST', '/models/rollback', { task: 'reply' })).status).toBe(409);
  });

  it('runs an A/B test: start, stats per arm, end by rejecting', async () => {
    const candidate = await insertModel(database.db, 'reply');
    const started = await call('POST', `/models/${candidate.id}/ab-test`, { share: 0.25 });
    expect(started.status).toBe(201);
    expect(started.body).toMatchObject({ object: 'ab_test', status: 'running', share: 0.25, candidate_model: candidate.id });
    expect((await call('POST', `/models/${candidate.id}/ab-test`, { share: 0.25 })).status).toBe(409);
    const shown = await call('GET', `/ab-tests/${started.body.id}`);
    expect(shown.body).toMatchObject({ arms: { candidate: { drafts: 0, acceptance_rate: null, acceptance_rate_ci95: null }, production: { drafts: 0 } }, acceptance_difference: null });
    const ended = await call('POST', `/ab-tests/${started.body.id}/end`, { outcome: 'reject' });
    expect(ended.body).toMatchObject({ status: 'rejected', model: { id: candidate.id, status: 'archived' } });
    expect((await call('POST', `/ab-tests/${started.body.id}/end`, { outcome: 'reject' })).status).toBe(409);
    expect((await call('POST', `/ab-tests/${started.body.id}/end`, { outcome: 'maybe' })).status).toBe(400);
  });
});
