/** TRAINING_BASE_MODELS: local fine-tuning starts only from an allowed base model. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.ts';
import { createToken } from '../../src/auth/tokens.ts';
import { startQueue, type Queue } from '../../src/queue/queue.ts';
import { testDeps } from '../support/app.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { captureLogger } from '../support/logger.ts';
import { chatRows, jsonl, uploadJsonl } from './support.ts';

describe('base model allow-list', () => {
  let database: TestDatabase;
  let queue: Queue;
  let app: ReturnType<typeof createApp>;
  let token: string;
  const home = mkdtempSync(join(tmpdir(), 'tuneloop-base-models-'));

  beforeAll(async () => {
    database = await createTestDatabase();
    queue = await startQueue({ url: database.url, schema: 'pgboss', log: captureLogger().log });
    app = createApp(testDeps(database, queue, { TUNELOOP_HOME: home, TRAINING_BASE_MODELS: 'Qwen/Qwen2.5-0.5B-Instruct, /models/approved' }));
    token = (await createToken(database.db, 'api', 'test')).token;
  });
  afterAll(async () => {
    await queue.stop({ timeoutMs: 1_000 });
    await database.drop();
    rmSync(home, { recursive: true, force: true });
  });

  it('refuses any other base model with a 400 naming the field, and queues nothing', async () => {
    const file = (await uploadJsonl(app, token, 'train.jsonl', jsonl(chatRows(10)))).body as { id: string };
    const create = (model: string) =>
      app.request('/api/v1/fine_tuning/jobs', { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ model, training_file: file.id }) });
    const refused = await create('someone/untrusted-model');
    expect(refused.status).toBe(400);
    expect(JSON.stringify(await refused.json())).toContain('TRAINING_BASE_MODELS');
    const jobs = await database.db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM fine_tuning_jobs`);
    expect(jobs.rows[0]?.n).toBe(0);
    expect((await create('/models/approved')).status).toBe(200);
  });
});
