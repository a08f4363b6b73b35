/**
 * Retrieval in the evaluation report: a reply model whose dataset came from harvested tickets is
 * scored again with similar resolved conversations in its prompts (as drafts get them), so the
 * report has `retrieval: {with, without}`; with RETRIEVAL_TASKS=none there is no such run.
 * Real Postgres, the gpu-worker on the CPU with the tiny model as "candidate" (its base, no adapter).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modelEvaluations, models } from '../../src/db/schema/index.ts';
import { evaluationDir, runEvaluation } from '../../src/models/evaluation/handler.ts';
import { getEvaluation } from '../../src/models/evaluation/evaluations.ts';
import { testDeps } from '../support/app.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { createAndBuild, harvestSandbox, SMALL_DATASET_SPLIT, tempHome, type HarvestedSandbox } from '../datasets/helpers.ts';
import { ensureWorkerVenv, pythonMissing, tinyModel } from '../training/support.ts';

const missing = pythonMissing();
if (missing) console.warn(`skipping the retrieval evaluation test: ${missing}`);

describe.skipIf(missing)('evaluation with and without retrieval', () => {
  let database: TestDatabase;
  let harvested: HarvestedSandbox;
  const home = tempHome();
  let model: { id: string };

  beforeAll(async () => {
    ensureWorkerVenv();
    database = await createTestDatabase();
    harvested = await harvestSandbox(database, { seed: 51, tickets: 80, name: 'zd-retrieval' });
    const { version } = await createAndBuild(database, home.store, { name: 'replies', task: 'reply', config: { connections: [harvested.connection.id], split: SMALL_DATASET_SPLIT } });
    expect(version.status).toBe('ready');
    const [row] = await database.db.insert(models).values({ task: 'reply', backend: 'local', baseModel: tinyModel(), datasetVersionId: version.id }).returning();
    model = { id: row?.id ?? '' };
  }, 10 * 60_000);
  afterAll(async () => {
    await harvested?.close();
    await database?.drop();
    home.remove();
  });

  const evaluate = async (env: Record<string, string>) => {
    const deps = testDeps(database, null, { TUNELOOP_HOME: home.home, EVALUATION_MAX_EXAMPLES: '4', EVALUATION_MAX_NEW_TOKENS: '4', ...env });
    const [row] = await database.db.insert(modelEvaluations).values({ modelId: model.id }).returning();
    // No queue: the evaluation.finished event goes to the outbox sweep.
    await runEvaluation({ ...deps, queue: null as never, store: home.store }, row?.id ?? '', { lastAttempt: true });
    return (await getEvaluation(database.db, row?.id ?? ''))!;
  };

  it('scores the candidate a second time with retrieved examples, and not when retrieval is off (RETRIEVAL_TASKS=none)', { timeout: 300_000 }, async () => {
    const on = await evaluate({});
    expect(on.status, on.error ?? '').toBe('succeeded');
    // The test split's size depends on the harvested data (up to EVALUATION_MAX_EXAMPLES = 4 are scored).
    const examples = on.report?.candidate.examples ?? 0;
    expect(examples).toBeGreaterThan(0);
    expect(on.report?.retrieval?.without).toEqual(expect.objectContaining({ chrf: on.report?.candidate.chrf, examples }));
    expect(on.report?.retrieval?.with).toEqual(expect.objectContaining({ examples, chrf: expect.any(Number), rouge_l: expect.any(Number), latency_p95_ms: expect.any(Number) }));
    expect(existsSync(join(evaluationDir(home.home, on.id), 'retrieval', 'test.jsonl'))).toBe(false); // no copy of test data is kept

    const off = await evaluate({ RETRIEVAL_TASKS: 'none' });
    expect(off.status, off.error ?? '').toBe('succeeded');
    expect(off.report?.retrieval).toBeUndefined();
  });
});
