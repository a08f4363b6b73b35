/**
 * Human evaluation on a real Postgres: pairs are built from an evaluation's files exactly as the
 * gpu-worker writes them (report.json naming each model's predictions, aligned with test.jsonl),
 * blind (the API never says which side is the candidate), handed out once per reviewer, scored
 * once, and summarised with the right winner per side.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.ts';
import { openArtifactStore } from '../../src/artifacts/index.ts';
import { createToken } from '../../src/auth/tokens.ts';
import { modelEvaluations, models, reviewPairs } from '../../src/db/schema/index.ts';
import { evaluationDir } from '../../src/models/evaluation/handler.ts';
import { createReviewPairs, nextReviewPair, reviewSummary, scoreReviewPair } from '../../src/models/evaluation/reviews.ts';
import { testDeps } from '../support/app.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

const EXAMPLES = 12;

describe('human evaluation (review pairs)', () => {
  let database: TestDatabase;
  let home: string;
  let evaluationId: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    home = mkdtempSync(join(tmpdir(), 'tuneloop-reviews-'));
    const [model] = await database.db.insert(models).values({ task: 'reply', backend: 'local', baseModel: 'tiny', adapterPath: '/x' }).returning();
    const store = openArtifactStore({ TUNELOOP_HOME: home });
    const [evaluation] = await database.db.insert(modelEvaluations).values({ modelId: model?.id ?? '', status: 'succeeded', baselineLabel: 'base', report: { testFile: 'datasets/d/v/test.jsonl' } }).returning();
    evaluationId = evaluation?.id ?? '';
    const dir = evaluationDir(home, evaluationId);
    mkdirSync(join(dir, 'predictions'), { recursive: true });
    const tests = Array.from({ length: EXAMPLES }, (_, i) => JSON.stringify({ messages: [{ role: 'system', content: 'Be kind.' }, { role: 'user', content: `Question ${i}` }, { role: 'assistant', content: `Reference ${i}` }] }));
    // The split as the dataset wrote it; the evaluation's own copy is gone once scored.
    await store.put('datasets/d/v/test.jsonl', `${tests.join('\n')}\n`);
    // Example 0: both said the same (no pair); example 1: the baseline gave no answer (no pair).
    const candidate = tests.map((_, i) => JSON.stringify({ prediction: i === 0 ? 'same' : `candidate ${i}` }));
    const baseline = tests.map((_, i) => JSON.stringify({ prediction: i === 0 ? 'same' : i === 1 ? null : `baseline ${i}` }));
    writeFileSync(join(dir, 'predictions', '0.jsonl'), `${candidate.join('\n')}\n`);
    writeFileSync(join(dir, 'predictions', '1.jsonl'), `${baseline.join('\n')}\n`);
    writeFileSync(join(dir, 'report.json'), JSON.stringify({ task: 'reply', models: [{ name: 'candidate', kind: 'local', predictions_file: join(dir, 'predictions', '0.jsonl'), metrics: {} }, { name: 'baseline', kind: 'local', predictions_file: 'predictions/1.jsonl', metrics: {} }] }));
  });

  afterAll(async () => {
    rmSync(home, { recursive: true, force: true });
    await database?.drop();
  });

  it('creates blind pairs once, hands each to one reviewer, scores once, and counts wins per side', async () => {
    expect(await createReviewPairs(database.db, openArtifactStore({ TUNELOOP_HOME: home }), home, evaluationId, 100)).toEqual({ created: EXAMPLES - 2, total: EXAMPLES - 2 });
    expect(await createReviewPairs(database.db, openArtifactStore({ TUNELOOP_HOME: home }), home, evaluationId, 100)).toEqual({ created: 0, total: EXAMPLES - 2 });
    const rows = await database.db.select().from(reviewPairs);
    expect(new Set(rows.map((row) => row.candidateSide))).toEqual(new Set(['a', 'b'])); // sides are drawn, not fixed
    for (const row of rows) {
      expect(row.prompt).toEqual([{ role: 'system', content: 'Be kind.' }, { role: 'user', content: `Question ${row.position}` }]);
      expect(row.candidateSide === 'a' ? row.answerA : row.answerB).toBe(`candidate ${row.position}`);
    }

    const alice = await nextReviewPair(database.db, 'alice');
    const bob = await nextReviewPair(database.db, 'bob');
    expect(alice && bob && alice.id !== bob.id).toBe(true);
    expect(await nextReviewPair(database.db, 'alice')).toEqual(alice); // still hers until scored
    expect(Object.keys(alice ?? {}).sort()).toEqual(['a', 'b', 'evaluationId', 'id', 'prompt']); // nothing tells the side

    // Alice always prefers the candidate, Bob the baseline once, then a tie.
    const sideOf = new Map(rows.map((row) => [row.id, row.candidateSide]));
    await scoreReviewPair(database.db, alice?.id ?? '', sideOf.get(alice?.id ?? '') ?? 'a', 'alice');
    await scoreReviewPair(database.db, bob?.id ?? '', sideOf.get(bob?.id ?? '') === 'a' ? 'b' : 'a', 'bob');
    await expect(scoreReviewPair(database.db, alice?.id ?? '', 'tie', 'mallory')).rejects.toThrow(/already reviewed/);
    const third = await nextReviewPair(database.db, 'alice');
    await scoreReviewPair(database.db, third?.id ?? '', 'tie', 'alice');
    for (let pair = await nextReviewPair(database.db, 'carol'); pair; pair = await nextReviewPair(database.db, 'carol')) {
      await scoreReviewPair(database.db, pair.id, sideOf.get(pair.id) ?? 'a', 'carol');
    }

    const summary = await reviewSummary(database.db, evaluationId);
    expect(summary).toMatchObject({ pairs: 10, reviewed: 10, candidateWins: 8, baselineWins: 1, ties: 1 });
    expect(summary.candidateWinRate).toBeCloseTo(8 / 9, 10);
    expect(summary.interval?.lower).toBeGreaterThan(0.5);
    expect(summary.interval?.upper).toBeLessThanOrEqual(1);
  });

  it('API: 409 for evaluations that did not succeed or whose files are elsewhere; verdicts validated', async () => {
    const app = createApp(testDeps(database, null, { TUNELOOP_HOME: home }));
    const headers = { Authorization: `Bearer ${(await createToken(database.db, 'reviewer', 'test')).token}`, 'Content-Type': 'application/json' };
    const [model] = await database.db.insert(models).values({ task: 'reply', backend: 'local', baseModel: 'tiny', adapterPath: '/y' }).returning();
    const [running] = await database.db.insert(modelEvaluations).values({ modelId: model?.id ?? '', status: 'running' }).returning();
    const [elsewhere] = await database.db.insert(modelEvaluations).values({ modelId: model?.id ?? '', status: 'succeeded', report: { testFile: 'datasets/d/v/test.jsonl' } }).returning();
    const create = (id: string, body: unknown) => app.request(`/api/v1/evaluations/${id}/review-pairs`, { method: 'POST', headers, body: JSON.stringify(body) });

    expect((await create(running?.id ?? '', { count: 5 })).status).toBe(409);
    const missing = await create(elsewhere?.id ?? '', { count: 5 });
    expect(missing.status).toBe(409);
    expect(await missing.text()).toMatch(/not on this machine/);
    expect((await create('00000000-0000-4000-8000-000000000000', {})).status).toBe(404);
    expect((await create(evaluationId, { count: 0 })).status).toBe(400);
    expect((await app.request('/api/v1/reviews/next', { headers })).status).toBe(404); // all reviewed
    const [pair] = await database.db.select().from(reviewPairs).limit(1);
    const score = (body: unknown) => app.request(`/api/v1/reviews/${pair?.id}`, { method: 'POST', headers, body: JSON.stringify(body) });
    expect((await score({ verdict: 'candidate' })).status).toBe(400);
    expect((await score({ verdict: 'a' })).status).toBe(409);
    const summary = await app.request(`/api/v1/evaluations/${evaluationId}/reviews`, { headers });
    expect(await summary.json()).toMatchObject({ pairs: 10, candidateWins: 8 });
  });
});
