/**
 * `/tuneloop retrain reply --sweep "…" [--trials N]`: the flag's parsing, a sweep refused before
 * any run exists (out-of-range values, over budget), and an accepted one stored on the run's
 * fine-tuning request, which the retraining turns into a sweep job (test/loop/sweep.test.ts runs one).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { retrainingRuns } from '../../src/db/schema/index.ts';
import { createDataset } from '../../src/datasets/versions.ts';
import { RetrainInputError, startManualRetrain } from '../../src/models/retraining/manual.ts';
import { setPolicy } from '../../src/models/retraining/policies.ts';
import { startQueue, type Queue } from '../../src/queue/queue.ts';
import { UsageError } from '../../src/slack/commands/command.ts';
import { parseSweepFlag } from '../../src/slack/commands/sweep-flag.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { captureLogger } from '../support/logger.ts';
import { createConnection } from '../models/drift-support.ts';

describe('retraining with a hyperparameter sweep', () => {
  let database: TestDatabase;
  let queue: Queue;

  beforeAll(async () => {
    database = await createTestDatabase();
    queue = await startQueue({ url: database.url, schema: 'pgboss', log: captureLogger().log });
    const connectionId = await createConnection(database.db, 'helpdesk');
    await createDataset(database.db, { name: 'replies', task: 'reply', config: { connections: [connectionId] } }, 'test');
    await setPolicy(database.db, { task: 'reply', dataset: 'replies', training: { model: 'tiny-base', method: { type: 'lora', hyperparameters: { max_steps: 5 } } }, triggers: { minNewExamples: 1_000_000 } }, 'test');
  });
  afterAll(async () => {
    await queue?.stop({ timeoutMs: 2_000 });
    await database?.drop();
  });

  it('parses the flag into a grid, or random with --trials; a bad flag is a usage error', () => {
    expect(parseSweepFlag('learning_rate=1e-4,2e-4 lora_r=8,16', undefined)).toEqual({ strategy: 'grid', space: { learning_rate: [1e-4, 2e-4], lora_r: [8, 16] } });
    expect(parseSweepFlag('epochs=1,2,3', '2')).toEqual({ strategy: 'random', space: { epochs: [1, 2, 3] }, trials: 2 });
    expect(() => parseSweepFlag('dropout=0.1', undefined)).toThrow(UsageError);
    expect(() => parseSweepFlag('lora_r=eight', undefined)).toThrow(/not a list of numbers/);
  });

  it('refuses out-of-range values and an over-budget sweep before any run exists; stores an accepted one on the run', async () => {
    const start = (sweep: Record<string, unknown>) => startManualRetrain(database.db, queue, { task: 'reply', requestedBy: 'test', sweep });
    await expect(start(parseSweepFlag('learning_rate=2', undefined))).rejects.toThrow(/outside the validated ranges: learning_rate 2/);
    await expect(start({ ...parseSweepFlag('lora_r=4,8,16 lora_alpha=8,16', undefined), max_trials: 4 })).rejects.toThrow(RetrainInputError);
    await expect(start({ ...parseSweepFlag('lora_r=4,8,16 lora_alpha=8,16', undefined), max_trials: 4 })).rejects.toThrow(/the grid has 6 trials, over the budget of 4/);
    expect(await database.db.$count(retrainingRuns)).toBe(0);

    const run = await start(parseSweepFlag('learning_rate=1e-4,2e-4 lora_r=8,16', undefined));
    expect(run.training).toMatchObject({ model: 'tiny-base', method: { type: 'lora', hyperparameters: { max_steps: 5, sweep: { strategy: 'grid', space: { learning_rate: [1e-4, 2e-4], lora_r: [8, 16] } } } } });
  });
});
