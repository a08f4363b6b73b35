import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.ts';
import { openArtifactStore } from '../../src/artifacts/index.ts';
import { uploadVersion } from '../../src/datasets/upload/version.ts';
import { createDataset } from '../../src/datasets/versions.ts';
import { createToken } from '../../src/auth/tokens.ts';
import { startQueue, type Queue } from '../../src/queue/queue.ts';
import { jobData } from '../../src/training/data-sources.ts';
import { getJob } from '../../src/training/jobs.ts';
import { failLostJobs, STALE_AFTER_MS } from '../../src/training/reconcile.ts';
import { fineTuningJobs } from '../../src/db/schema/index.ts';
import { prepareRun } from '../../src/training/worker/run-config.ts';
import { testDeps } from '../support/app.ts';
import { addConnection } from '../support/harvest.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { captureLogger } from '../support/logger.ts';
import { chatRows, jsonl, uploadJsonl } from './support.ts';

/** The REST surface without a worker: files, validation, listing, cancel before start, events, SSE. */
describe('fine-tuning API', () => {
  let database: TestDatabase;
  let queue: Queue;
  let app: ReturnType<typeof createApp>;
  let token: string;
  let headers: Record<string, string>;
  const home = mkdtempSync(join(tmpdir(), 'tuneloop-ft-api-'));

  beforeAll(async () => {
    database = await createTestDatabase();
    queue = await startQueue({ url: database.url, schema: 'pgboss', log: captureLogger().log });
    app = createApp(testDeps(database, queue, { TUNELOOP_HOME: home, TRAINING_UPLOAD_MAX_BYTES: '200000' }));
    token = (await createToken(database.db, 'api', 'test')).token;
    headers = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' };
  });
  afterAll(async () => {
    await queue.stop({ timeoutMs: 1_000 });
    await database.drop();
    rmSync(home, { recursive: true, force: true });
  });

  const post = (path: string, body: unknown) => app.request(path, { method: 'POST', headers, body: JSON.stringify(body) });
  const get = async (path: string) => {
    const response = await app.request(path, { headers });
    return { status: response.status, body: (await response.json()) as Record<string, any> };
  };
  const count = async (what: 'jobs' | 'queued' | 'files' | 'notify') => {
    const query = {
      jobs: sql`SELECT count(*)::int AS n FROM fine_tuning_jobs`,
      files: sql`SELECT count(*)::int AS n FROM training_files`,
      queued: sql`SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'finetune.train'`,
      notify: sql`SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'slack.notify'`,
    }[what];
    return Number((await database.db.execute<{ n: number }>(query)).rows[0]?.n);
  };
  const storedFiles = () => readdirSync(join(home, 'artifacts', 'files'), { withFileTypes: true }).filter((entry) => entry.isFile()).length;

  let chatFile: string;
  let preferenceFile: string;

  it('stores a valid JSONL upload and refuses a bad one, line numbered, keeping nothing', async () => {
    const ok = await uploadJsonl(app, token, 'train.jsonl', jsonl(chatRows(10)));
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ object: 'file', purpose: 'fine-tune', filename: 'train.jsonl', format: 'chat', examples: 10, status: 'processed' });
    chatFile = String(ok.body.id);
    const preference = { prompt: [{ role: 'user', content: 'hi' }], chosen: [{ role: 'assistant', content: 'Hello!' }], rejected: [{ role: 'assistant', content: 'go away' }] };
    const pref = await uploadJsonl(app, token, 'prefs.jsonl', jsonl([preference, preference]));
    expect(pref.body).toMatchObject({ format: 'preference', examples: 2 });
    preferenceFile = String(pref.body.id);

    const before = { files: await count('files'), stored: storedFiles() };
    const secret = 'Jane Doe, IBAN DE89370400440532013000';
    const bad: Array<[string, string, RegExp]> = [
      ['bad.jsonl', `${JSON.stringify(chatRows(1)[0])}\n{not json\n`, /line 2: not valid JSON/],
      ['bad.jsonl', `${JSON.stringify({ messages: [{ role: 'user', content: secret }] })}\n`, /line 1: no assistant message/],
      ['bad.jsonl', `${JSON.stringify({ messages: [{ role: 'robot', content: secret }] })}\n`, /line 1: 'messages\[0\]\.role'/],
      ['bad.jsonl', `${JSON.stringify(chatRows(1)[0])}\n${JSON.stringify(preference)}\n`, /line 2: expected the chat format/],
      ['bad.jsonl', '\n\n', /no examples/],
      ['data.csv', 'a,b\n', /\.jsonl/],
      ['big.jsonl', jsonl(chatRows(300)), /larger than 200000 bytes|limited to/],
    ];
    for (const [name, content, message] of bad) {
      const response = await uploadJsonl(app, token, name, content);
      expect([400, 413], JSON.stringify(response.body)).toContain(response.status);
      expect(JSON.stringify(response.body)).toMatch(message);
      expect(JSON.stringify(response.body)).not.toContain('Jane Doe');
    }
    const raw = await app.request('/api/v1/files?purpose=fine-tune&filename=raw.jsonl', { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/jsonl' }, body: jsonl(chatRows(3)) });
    expect(raw.status).toBe(200);
    expect(await count('files')).toBe(before.files + 1);
    expect(storedFiles()).toBe(before.stored + 1);

    const content = await app.request(`/api/v1/files/${chatFile}/content`, { headers });
    expect(await content.text()).toBe(jsonl(chatRows(10)));
    const list = await get('/api/v1/files?limit=2');
    expect(list.body).toMatchObject({ object: 'list', has_more: true });
    expect(list.body.data).toHaveLength(2);
  });

  it('answers bad job requests with 400 naming the field, and creates and queues nothing', async () => {
    const before = { jobs: await count('jobs'), queued: await count('queued') };
    const base = { model: 'tiny', training_file: chatFile };
    const cases: Array<[unknown, RegExp]> = [
      [{ training_file: chatFile }, /model/],
      [{ model: 'tiny' }, /training_file.*exactly one/],
      [{ ...base, dataset_version: '00000000-0000-4000-8000-000000000000' }, /exactly one/],
      [{ ...base, training_file: 'file-abc123' }, /training_file: no file/],
      [{ ...base, validation_file: '00000000-0000-4000-8000-000000000000' }, /validation_file: no file/],
      [{ ...base, method: { type: 'lora', hyperparameters: { learning_rate: -1 } } }, /learning_rate/],
      [{ ...base, method: { type: 'lora', hyperparameters: { n_epochs: 51 } } }, /n_epochs/],
      [{ ...base, method: { type: 'lora', hyperparameters: { lora: { dropout: 1 } } } }, /dropout/],
      [{ ...base, method: { type: 'lora', hyperparameters: { turbo: true } } }, /turbo|Unrecognized/i],
      [{ ...base, method: { type: 'lora', hyperparameters: { epochs: 2, n_epochs: 3 } } }, /epochs or n_epochs/],
      [{ ...base, method: { type: 'lora', hyperparameters: { beta: 0.1 } } }, /beta applies only to method dpo/],
      [{ ...base, method: { type: 'reinforcement' } }, /method\.type/],
      [{ ...base, method: { type: 'dpo' } }, /dpo trains on preference examples.*chat/],
      [{ model: 'tiny', training_file: preferenceFile, method: { type: 'lora' } }, /lora trains on chat examples/],
      [{ ...base, validation_file: preferenceFile }, /validation_file is in the preference format/],
      [{ ...base, backend: 'openai' }, /openai backend is not configured/],
      [{ ...base, suffix: 'has spaces' }, /suffix/],
      [{ ...base, suffix: 'x'.repeat(65) }, /suffix/],
      [{ ...base, metadata: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, 'v'])) }, /16/],
      [{ ...base, seed: -1 }, /seed/],
      [{ ...base, integrations: [] }, /integrations|Unrecognized/i],
    ];
    for (const [body, message] of cases) {
      const response = await post('/api/v1/fine_tuning/jobs', body);
      const text = await response.text();
      expect(response.status, `${JSON.stringify(body)} -> ${text}`).toBe(400);
      expect(text, JSON.stringify(body)).toMatch(message);
    }
    expect(await count('jobs')).toBe(before.jobs);
    expect(await count('queued')).toBe(before.queued);
  });

  it('creates, lists with after/limit and metadata, and cancels a job no runner has started', async () => {
    const notifiesBefore = await count('notify');
    const ids: string[] = [];
    for (const team of ['a', 'b', 'c']) {
      const response = await post('/api/v1/fine_tuning/jobs', { model: 'tiny', training_file: chatFile, method: { type: 'supervised', supervised: { hyperparameters: { n_epochs: 2, batch_size: 8 } } }, suffix: `team-${team}`, metadata: { team } });
      const body = (await response.json()) as Record<string, any>;
      expect(response.status, JSON.stringify(body)).toBe(200);
      expect(body).toMatchObject({ object: 'fine_tuning.job', status: 'validating_files', backend: 'local', training_file: chatFile, validation_file: null, fine_tuned_model: null, method: { type: 'lora' }, metadata: { team } });
      expect(body.hyperparameters).toMatchObject({ n_epochs: 2, batch_size: 8 });
      expect(typeof body.seed).toBe('number');
      ids.push(body.id);
    }
    expect(await count('queued')).toBeGreaterThanOrEqual(3);
    expect(await count('notify')).toBe(notifiesBefore + 3);

    const first = await get('/api/v1/fine_tuning/jobs?limit=2');
    expect(first.body.data.map((job: { id: string }) => job.id)).toEqual([ids[2], ids[1]]);
    expect(first.body.has_more).toBe(true);
    const second = await get(`/api/v1/fine_tuning/jobs?limit=2&after=${ids[1]}`);
    expect(second.body.data[0].id).toBe(ids[0]);
    const filtered = await get('/api/v1/fine_tuning/jobs?metadata[team]=b');
    expect(filtered.body.data.map((job: { id: string }) => job.id)).toEqual([ids[1]]);
    expect((await get('/api/v1/fine_tuning/jobs/00000000-0000-4000-8000-000000000000')).status).toBe(404);

    const cancelled = await post(`/api/v1/fine_tuning/jobs/${ids[0]}/cancel`, {});
    expect(cancelled.status).toBe(200);
    expect(await cancelled.json()).toMatchObject({ status: 'cancelled' });
    expect(await count('notify')).toBe(notifiesBefore + 4);
    // Cancelling again changes nothing.
    expect(await (await post(`/api/v1/fine_tuning/jobs/${ids[0]}/cancel`, {})).json()).toMatchObject({ status: 'cancelled' });

    const events = await get(`/api/v1/fine_tuning/jobs/${ids[0]}/events`);
    expect(events.body.data.map((event: { message: string }) => event.message)).toEqual(['Fine-tuning job cancelled before it started', expect.stringMatching(/^Created fine-tuning job/)]);
    const page = await get(`/api/v1/fine_tuning/jobs/${ids[0]}/events?limit=1&after=${events.body.data[0].id}`);
    expect(page.body.data[0].id).toBe(events.body.data[1].id);
    expect((await get(`/api/v1/fine_tuning/jobs/${ids[0]}/checkpoints`)).body).toEqual({ object: 'list', data: [], first_id: null, last_id: null, has_more: false });

    // The stream of a finished job replays its events, then ends.
    const stream = await app.request(`/api/v1/fine_tuning/jobs/${ids[0]}/events?stream=true`, { headers });
    expect(stream.headers.get('content-type')).toMatch(/text\/event-stream/);
    const text = await stream.text();
    expect(text.match(/event: fine_tuning\.job\.event/g)).toHaveLength(2);
    expect(text).toMatch(/event: end\ndata: \{"status":"cancelled"\}/);
    const resumed = await app.request(`/api/v1/fine_tuning/jobs/${ids[0]}/events/stream`, { headers: { ...headers, 'Last-Event-ID': events.body.data[1].id } });
    expect((await resumed.text()).match(/event: fine_tuning\.job\.event/g)).toHaveLength(1);
  });

  it('trains on a ready dataset version by name@latest, copying its train and validation splits into the run folder', async () => {
    const store = openArtifactStore({ TUNELOOP_HOME: home });
    const connection = await addConnection(database, { vendor: 'zendesk', name: 'zd-ft', settings: { baseUrl: 'http://127.0.0.1:1' }, credentials: { type: 'api_token', email: 'a@example.com', token: 't' } });
    const dataset = await createDataset(database.db, { name: 'replies', task: 'reply', config: { connections: [connection.id] } }, 'test');
    const rows = chatRows(12, 100).map((row, i) => ({ ...row, split: i < 9 ? 'train' : 'validation' }));
    const version = await uploadVersion({ database, store, log: captureLogger().log }, dataset, 'jsonl', jsonl(rows), 'test');
    expect(version.status).toBe('ready');

    const missing = (await (await post('/api/v1/fine_tuning/jobs', { model: 'tiny', dataset_version: 'replies@7' })).json()) as { error: { message: string } };
    expect(missing.error.message).toMatch(/^dataset_version: no dataset version "replies@7"/);
    const response = await post('/api/v1/fine_tuning/jobs', { model: 'tiny', dataset_version: 'replies@latest', method: { type: 'lora', hyperparameters: { max_steps: 3 } } });
    const body = (await response.json()) as Record<string, any>;
    expect(response.status, JSON.stringify(body)).toBe(200);
    expect(body).toMatchObject({ dataset_version: version.id, task: 'reply', training_file: null });

    const job = await getJob(database.db, body.id);
    if (!job) throw new Error('job not stored');
    const prepared = await prepareRun(store, home, job, await jobData(database.db, job));
    const manifest = version.manifest as { splits: Record<string, { key: string; examples: number }> };
    expect(readFileSync(join(prepared.dir, 'data', 'train.jsonl'), 'utf8').trim().split('\n')).toHaveLength(manifest.splits.train?.examples ?? -1);
    expect(readFileSync(join(prepared.dir, 'data', 'validation.jsonl'), 'utf8').trim().split('\n')).toHaveLength(manifest.splits.validation?.examples ?? -1);
    expect(JSON.parse(readFileSync(prepared.configPath, 'utf8'))).toMatchObject({ base_model: 'tiny', max_steps: 3, method: 'lora', seed: job.seed });
  });

  it('fails a job whose runner died on its last attempt, and leaves one pg-boss will still retry alone', async () => {
    const create = async () => ((await (await post('/api/v1/fine_tuning/jobs', { model: 'tiny', training_file: chatFile })).json()) as { id: string }).id;
    const [lost, retrying] = [await create(), await create()];
    const old = new Date(Date.now() - STALE_AFTER_MS - 1_000);
    for (const id of [lost, retrying]) await database.db.update(fineTuningJobs).set({ status: 'running', heartbeatAt: old }).where(eq(fineTuningJobs.id, id));
    // As pg-boss leaves a job whose retries are used up; the other one is still queued for a retry.
    await database.db.execute(sql`UPDATE pgboss.job SET state = 'failed' WHERE name = 'finetune.train' AND singleton_key = ${lost}`);
    expect(await failLostJobs(database, queue, captureLogger().log)).toEqual([lost]);
    expect(await getJob(database.db, lost)).toMatchObject({ status: 'failed', error: { code: 'worker_lost' } });
    expect((await getJob(database.db, retrying))?.status).toBe('running');
  });

  it('refuses to delete a file an unfinished job uses', async () => {
    const response = await app.request(`/api/v1/files/${chatFile}`, { method: 'DELETE', headers });
    expect(response.status).toBe(409);
    const unused = await uploadJsonl(app, token, 'unused.jsonl', jsonl(chatRows(2)));
    const deleted = await app.request(`/api/v1/files/${String(unused.body.id)}`, { method: 'DELETE', headers });
    expect(await deleted.json()).toEqual({ id: unused.body.id, object: 'file', deleted: true });
  });
});
