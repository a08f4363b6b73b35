import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.ts';
import { openArtifactStore } from '../../src/artifacts/index.ts';
import { createToken } from '../../src/auth/tokens.ts';
import { verifyBaseModel } from '../../src/training/base-models/install.ts';
import { listBaseModels, MANIFEST_FILE } from '../../src/training/base-models/registry.ts';
import { startQueue, type Queue } from '../../src/queue/queue.ts';
import { jobData } from '../../src/training/data-sources.ts';
import { getJob } from '../../src/training/jobs.ts';
import { prepareRun } from '../../src/training/worker/run-config.ts';
import { testDeps } from '../support/app.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { captureLogger } from '../support/logger.ts';
import { chatRows, jsonl, uploadJsonl } from './support.ts';

/**
 * Registered base models (src/training/base-models/): a run names one, the worker gets its folder; an
 * unregistered name and a sequence length past the model's context are refused before anything is
 * queued; a damaged folder is reported with the fix. The folder here is written the way
 * `tuneloop_worker convert-gguf` writes one (its manifest, its weights' sha256); the conversion of the
 * real SmolLM2 runs in test/training/smollm2.long.test.ts.
 */
describe('registered base models', () => {
  let database: TestDatabase;
  let queue: Queue;
  let app: ReturnType<typeof createApp>;
  let headers: Record<string, string>;
  let token: string;
  const home = mkdtempSync(join(tmpdir(), 'tuneloop-registered-base-'));
  const folder = join(home, 'base-models', 'mini-chat');

  beforeAll(async () => {
    database = await createTestDatabase();
    queue = await startQueue({ url: database.url, schema: 'pgboss', log: captureLogger().log });
    app = createApp(testDeps(database, queue, { TUNELOOP_HOME: home }));
    token = (await createToken(database.db, 'api', 'test')).token;
    headers = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' };
  });
  afterAll(async () => {
    await queue.stop({ timeoutMs: 1_000 });
    await database.drop();
    rmSync(home, { recursive: true, force: true });
  });

  const post = (body: unknown) => app.request('/api/v1/fine_tuning/jobs', { method: 'POST', headers, body: JSON.stringify(body) });
  const queued = async () => Number((await database.db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'finetune.train'`)).rows[0]?.n);

  function register(contextLength: number) {
    mkdirSync(folder, { recursive: true });
    const weights = Buffer.from('weights of a model that stands in for the converted one');
    writeFileSync(join(folder, 'model.safetensors'), weights);
    const manifest = { source_file: 'mini.gguf', source_sha256: 'a'.repeat(64), weights_file: 'model.safetensors', weights_sha256: createHash('sha256').update(weights).digest('hex'), architecture: 'LlamaForCausalLM', parameters: 1000, context_length: contextLength };
    writeFileSync(join(folder, MANIFEST_FILE), JSON.stringify(manifest));
  }

  it('refuses a catalog model that is not installed with how to install it, and keeps other names as model ids while nothing is registered', async () => {
    const file = (await uploadJsonl(app, token, 'train.jsonl', jsonl(chatRows(6)))).body.id;
    const before = await queued();
    const refused = await post({ model: 'smollm2-135m-instruct', training_file: file });
    expect(refused.status).toBe(400);
    const body = (await refused.json()) as { error: { message: string } };
    expect(body.error.message).toMatch(/^model: base model "smollm2-135m-instruct" is not registered here \(install it: tuneloop models base add smollm2-135m-instruct\); registered base models: none/);
    expect(await queued()).toBe(before);
    expect((await post({ model: 'tiny', training_file: file })).status).toBe(200);
  });

  it('runs a registered model from its folder, and refuses unknown names and too long sequences before queueing', async () => {
    register(512);
    expect(listBaseModels(home).map((m) => m.name)).toEqual(['mini-chat']);
    const file = (await uploadJsonl(app, token, 'train.jsonl', jsonl(chatRows(6)))).body.id;
    const before = await queued();
    const cases: Array<[unknown, string, RegExp]> = [
      [{ model: 'nope', training_file: file }, 'model', /base model "nope" is not registered here; registered base models: mini-chat/],
      [{ model: 'tiny', training_file: file }, 'model', /registered base models: mini-chat/],
      [{ model: 'mini-chat', training_file: file }, 'method.hyperparameters.max_seq_length', /max_seq_length 1024 exceeds the context of mini-chat \(512 tokens\)/],
      [{ model: 'mini-chat', training_file: file, method: { type: 'lora', hyperparameters: { max_seq_length: 513 } } }, 'method.hyperparameters.max_seq_length', /513/],
    ];
    for (const [request, param, message] of cases) {
      const response = await post(request);
      const body = (await response.json()) as { error: { message: string } };
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(body.error.message.startsWith(`${param}: `), body.error.message).toBe(true);
      expect(body.error.message).toMatch(message);
    }
    expect(await queued()).toBe(before);

    // Hugging Face ids and paths are left to the worker, as before.
    expect((await post({ model: 'org/some-model', training_file: file })).status).toBe(200);
    const created = await post({ model: 'mini-chat', training_file: file, method: { type: 'lora', hyperparameters: { max_seq_length: 512 } } });
    expect(created.status).toBe(200);
    const job = await getJob(database.db, ((await created.json()) as { id: string }).id);
    if (!job) throw new Error('job not stored');
    expect(job.model).toBe('mini-chat');
    const prepared = await prepareRun(openArtifactStore({ TUNELOOP_HOME: home }), home, job, await jobData(database.db, job));
    expect(JSON.parse(readFileSync(prepared.configPath, 'utf8'))).toMatchObject({ base_model: folder, max_seq_length: 512 });
  });

  it('says which file is missing or corrupt and how to fix it', async () => {
    register(512);
    await expect(verifyBaseModel(home, 'mini-chat')).resolves.toMatchObject({ name: 'mini-chat', path: folder });
    writeFileSync(join(folder, 'model.safetensors'), 'damaged');
    await expect(verifyBaseModel(home, 'mini-chat')).rejects.toThrow(/model\.safetensors is corrupt \(sha256 [0-9a-f]{64}, expected [0-9a-f]{64}\); run: tuneloop models base add mini-chat --force/);
    rmSync(join(folder, 'model.safetensors'));
    await expect(verifyBaseModel(home, 'mini-chat')).rejects.toThrow(/model\.safetensors is missing; run: tuneloop models base add mini-chat --force/);
    rmSync(join(folder, MANIFEST_FILE));
    await expect(verifyBaseModel(home, 'mini-chat')).rejects.toThrow(/not registered .*tuneloop-base-model\.json is missing or unreadable\); run: tuneloop models base add mini-chat/);
    expect(listBaseModels(home)).toEqual([]);
  });
});
