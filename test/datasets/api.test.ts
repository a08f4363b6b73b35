import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq, sql } from 'drizzle-orm';
import { datasets } from '../../src/db/schema/index.ts';
import { gdprEraseHandler } from '../../src/gdpr/handler.ts';
import { createApp } from '../../src/app.ts';
import { createToken } from '../../src/auth/tokens.ts';
import { datasetBuildHandler } from '../../src/datasets/handler.ts';
import { startQueue, type Queue } from '../../src/queue/queue.ts';
import { testDeps } from '../support/app.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { captureLogger } from '../support/logger.ts';
import { harvestSandbox, tempHome, type HarvestedSandbox } from './helpers.ts';

describe('/api/v1/datasets and /api/v1/gdpr', () => {
  let database: TestDatabase;
  let queue: Queue;
  let harvested: HarvestedSandbox;
  let app: ReturnType<typeof createApp>;
  let auth: Record<string, string>;
  let deps: ReturnType<typeof testDeps>;
  const home = tempHome();
  const built: Array<(id: string) => void> = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    harvested = await harvestSandbox(database, { seed: 9, tickets: 150, name: 'zd-api' });
    queue = await startQueue({ url: database.url, schema: 'pgboss', log: captureLogger().log });
    deps = testDeps(database, queue, { TUNELOOP_HOME: home.home });
    // The real handler; the wrapper only tells the test when a job is done.
    const handler = datasetBuildHandler({ ...deps, queue });
    await queue.work('dataset.build', async (payload, job) => {
      await handler(payload, job);
      built.shift()?.(payload.datasetVersionId);
    });
    app = createApp(deps);
    auth = { Authorization: `Bearer ${(await createToken(database.db, 'api-test', 'test')).token}` };
  });
  afterAll(async () => {
    await queue.stop({ timeoutMs: 2_000 });
    await harvested.close();
    await database.drop();
    home.remove();
  });

  const json = (method: string, path: string, body?: unknown) =>
    app.request(path, { method, headers: { ...auth, 'Content-Type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });

  it('creates a dataset, builds a version in a job, shows its manifest and serves its files', async () => {
    const bad = await json('POST', '/api/v1/datasets', { name: 'api', task: 'reply', config: { connections: [harvested.connection.id], split: { train: 0.5 } } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toMatch(/split ratios must add up to 1/);
    const unknownConnection = await json('POST', '/api/v1/datasets', { name: 'api', task: 'reply', config: { connections: [crypto.randomUUID()] } });
    expect(unknownConnection.status).toBe(400);

    const created = await json('POST', '/api/v1/datasets', { name: 'api', task: 'reply', config: { connections: [harvested.connection.id] } });
    expect(created.status).toBe(201);
    const dataset = (await created.json()) as { id: string; config: { dedup: { threshold: number } } };
    expect(dataset.config.dedup.threshold).toBe(0.85);
    expect((await json('POST', '/api/v1/datasets', { name: 'api', task: 'reply', config: { connections: [harvested.connection.id] } })).status).toBe(400);

    const done = new Promise<string>((resolve) => built.push(resolve));
    const accepted = await json('POST', `/api/v1/datasets/${dataset.id}/versions`);
    expect(accepted.status).toBe(202);
    const queued = (await accepted.json()) as { id: string; version: number; status: string };
    expect(queued).toMatchObject({ version: 1, status: 'queued' });
    expect(await done).toBe(queued.id);

    const shown = (await (await json('GET', '/api/v1/datasets/api/versions/1')).json()) as { status: string; examples: Record<string, number>; manifest: { steps: Record<string, unknown> } };
    expect(shown.status).toBe('ready');
    expect(Object.keys(shown.manifest.steps)).toEqual(expect.arrayContaining(['read', 'select', 'extract', 'scrub', 'filter', 'dedup', 'split']));

    const file = await json('GET', `/api/v1/datasets/${dataset.id}/versions/${queued.id}/files/train`);
    expect(file.status).toBe(200);
    expect(file.headers.get('content-type')).toMatch(/application\/jsonl/);
    const lines = (await file.text()).split('\n').filter(Boolean);
    expect(lines.length).toBe(shown.examples.train);
    expect(JSON.parse(lines[0] ?? '{}')).toHaveProperty('messages');
    expect((await json('GET', `/api/v1/datasets/api/versions/1/files/holdout`)).status).toBe(400);
    expect((await json('GET', `/api/v1/datasets/api/versions/9/files/train`)).status).toBe(404);

    const listed = (await (await json('GET', '/api/v1/datasets')).json()) as { data: Array<{ name: string }> };
    expect(listed.data.map((d) => d.name)).toEqual(['api']);
    const one = (await (await json('GET', '/api/v1/datasets/api')).json()) as { versions: unknown[] };
    expect(one.versions).toHaveLength(1);
  });

  it('rejects a bad upload with line numbers and stores a good one', async () => {
    const bad = await app.request('/api/v1/datasets/api/uploads', {
      method: 'POST',
      headers: { ...auth, 'Content-Type': 'application/x-ndjson' },
      body: '{"messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello, how can I help?"}]}\nnot json\n',
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: { code: 'invalid_upload', message: '1 problem(s); nothing was stored', problems: [{ line: 2, message: 'not valid JSON' }], total: 1 } });
    const before = (await (await json('GET', '/api/v1/datasets/api/versions')).json()) as { data: unknown[] };
    expect(before.data).toHaveLength(1);

    const good = await app.request('/api/v1/datasets/api/uploads', {
      method: 'POST',
      headers: { ...auth, 'Content-Type': 'text/csv' },
      body: 'user,assistant\nCan I pay by invoice?,"Yes, choose ""Invoice"" at checkout."\n',
    });
    expect(good.status).toBe(201);
    expect(await good.json()).toMatchObject({ version: 2, origin: 'upload', status: 'ready', examples: { train: expect.any(Number) } });
    const diff = await json('GET', '/api/v1/datasets/api/versions/1/diff/2');
    expect(await diff.json()).toMatchObject({ examples: { added: 1, kept: 0 } });
  });

  it('erases a data subject and answers 410 for the replaced version', async () => {
    // A customer whose ticket is in version 1.
    const found = await database.db.execute<{ email: string }>(sql`
      SELECT c.requester->>'email' AS email FROM dataset_lineage l JOIN dataset_versions v ON v.id = l.version_id JOIN conversations c ON c.id = l.conversation_id
      WHERE v.version = 1 ORDER BY c.id LIMIT 1`);
    const email = found.rows[0]?.email;
    const response = await json('POST', '/api/v1/gdpr/erasures', { email });
    expect(response.status).toBe(202);
    const queued = (await response.json()) as { id: string; status: string };
    expect(queued.status).toBe('pending');
    // The gdpr.erase job, run by its real handler as a worker would.
    expect(await queue.drain('gdpr.erase', gdprEraseHandler({ ...deps, queue }))).toEqual({ completed: 1, failed: [] });
    const shown = (await (await json('GET', `/api/v1/gdpr/erasures/${queued.id}`)).json()) as { status: string; report: { database: { conversations: number; versions: Array<{ from: number; to: number }> } } };
    expect(shown.status).toBe('done');
    expect(shown.report.database.conversations).toBeGreaterThan(0);
    expect(shown.report.database.versions).toEqual([expect.objectContaining({ from: 1, to: 3 })]);
    expect(JSON.stringify(shown)).not.toContain(email ?? '@');
    const listed = (await (await json('GET', '/api/v1/gdpr/erasures')).json()) as { data: Array<{ id: string }> };
    expect(listed.data.map((e) => e.id)).toContain(queued.id);
    expect((await json('GET', '/api/v1/gdpr/erasures/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    expect((await json('GET', '/api/v1/datasets/api/versions/1/files/train')).status).toBe(410);
    expect((await json('GET', '/api/v1/datasets/api/versions/3/files/train')).status).toBe(200);
    expect((await json('POST', '/api/v1/gdpr/erasures', { email: 'x@example.com', sourceId: '1' })).status).toBe(400);
    expect((await app.request('/api/v1/gdpr/erasures', { method: 'POST', body: '{}' })).status).toBe(401);
  });

  it('fails a version whose build cannot succeed, with the reason, and leaves no files', async () => {
    const created = (await (await json('POST', '/api/v1/datasets', { name: 'broken', task: 'reply', config: { connections: [harvested.connection.id] } })).json()) as { id: string };
    // A config that no longer parses (as after a bad manual edit): retrying cannot help.
    await database.db.update(datasets).set({ config: { connections: [harvested.connection.id], dedup: { threshold: 7 } } }).where(eq(datasets.id, created.id));
    const done = new Promise<string>((resolve) => built.push(resolve));
    const accepted = (await (await json('POST', `/api/v1/datasets/${created.id}/versions`)).json()) as { id: string };
    expect(await done).toBe(accepted.id);
    const version = (await (await json('GET', `/api/v1/datasets/broken/versions/1`)).json()) as { status: string; error: string };
    expect(version).toMatchObject({ status: 'failed', error: expect.stringMatching(/dedup\.threshold/) });
    expect(await home.store.list(`datasets/${created.id}/`)).toEqual([]);
  });

  it('answers 503 for a build when no queue runs', async () => {
    const withoutQueue = createApp(testDeps(database, null, { TUNELOOP_HOME: home.home }));
    const response = await withoutQueue.request('/api/v1/datasets/api/versions', { method: 'POST', headers: auth });
    expect(response.status).toBe(503);
  });
});
