/**
 * OpenAI's Batch API on the hub, driven by the official openai SDK: upload, create, poll, output and
 * error files; bad files refused at upload; and a batch worker killed with SIGKILL mid-batch that,
 * restarted, finishes the open lines without sending a finished one again.
 */
import { sql } from 'drizzle-orm';
import OpenAI, { toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HubDeps } from '../../src/deps.ts';
import { createSubscription } from '../../src/events/subscriptions.ts';
import { registerHandlers } from '../../src/jobs/handlers.ts';
import { startQueue, type Queue } from '../../src/queue/queue.ts';
import { insertModel } from '../models/support.ts';
import { testDeps } from '../support/app.ts';
import { startCli } from '../support/cli.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { startFakeModelServer, type FakeModelServer } from '../support/fake-model-server.ts';
import { captureLogger } from '../support/logger.ts';
import { waitFor } from '../support/wait.ts';
import { inferenceToken, sdk, serveHub, type ServedHub } from './support.ts';

const jsonl = (lines: unknown[]) => `${lines.map((line) => JSON.stringify(line)).join('\n')}\n`;
const chatLine = (id: string, model: string, text: string) => ({ custom_id: id, method: 'POST', url: '/v1/chat/completions', body: { model, messages: [{ role: 'user', content: text }], max_tokens: 20 } });

describe('Batch API', () => {
  let database: TestDatabase;
  let queue: Queue;
  let server: FakeModelServer;
  let hub: ServedHub;
  let client: OpenAI;
  let model: Awaited<ReturnType<typeof insertModel>>;
  const env = (url: string) => ({ INFERENCE_BASE_URL: url, INFERENCE_BATCH_CONCURRENCY: '2' });

  beforeAll(async () => {
    database = await createTestDatabase();
    queue = await startQueue({ url: database.url, schema: 'pgboss', log: captureLogger().log });
    server = await startFakeModelServer({ reply: (body) => `re: ${body.messages.at(-1)?.content ?? ''}` });
    hub = await serveHub(database, queue, env(server.url));
    model = await insertModel(database.db, 'reply', 'production');
    client = sdk(hub, await inferenceToken(database.db, { name: 'batcher', tasks: ['reply'] }));
  });
  afterAll(async () => {
    await hub?.close();
    await queue?.stop({ timeoutMs: 1_000 });
    await server?.close();
    await database?.drop();
  });

  it('runs a batch: output file in input order, a line for another task in the error file, batch.completed counts', async () => {
    const other = await insertModel(database.db, 'triage', 'production');
    const deps = testDeps(database, queue, env(server.url));
    await createSubscription(database.db, deps.keyring, { url: 'http://127.0.0.1:9/hooks', events: ['batch.completed'] }, { actor: 'test', allowPrivate: true });
    await registerHandlers({ ...testDeps(database, queue, env(server.url)), queue } as HubDeps, ['inference.batch'], 1);
    const input = jsonl([chatLine('a', 'reply@production', 'one'), chatLine('b', model.id, 'two'), chatLine('c', other.id, 'three'), chatLine('d', 'reply@production', 'four')]);
    const file = await client.files.create({ file: await toFile(Buffer.from(input), 'in.jsonl'), purpose: 'batch' });
    expect(file).toMatchObject({ object: 'file', purpose: 'batch', bytes: Buffer.byteLength(input) });
    const batch = await client.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h', metadata: { job: 'nightly' } });
    expect(batch).toMatchObject({ object: 'batch', status: 'validating', request_counts: { total: 4 } });
    const done = await waitFor('the batch to complete', async () => {
      const current = await client.batches.retrieve(batch.id);
      return current.status === 'completed' ? current : null;
    }, 60_000);
    expect(done.request_counts).toEqual({ total: 4, completed: 3, failed: 1 });
    const output = (await (await client.files.content(done.output_file_id!)).text()).trim().split('\n').map((line) => JSON.parse(line) as Record<string, any>);
    expect(output.map((line) => line.custom_id)).toEqual(['a', 'b', 'd']);
    expect(output[0]).toMatchObject({ response: { status_code: 200, body: { model: 'reply@production', choices: [{ message: { content: 're: one' } }] } }, error: null });
    const errors = (await (await client.files.content(done.error_file_id!)).text()).trim().split('\n').map((line) => JSON.parse(line) as Record<string, any>);
    expect(errors).toEqual([expect.objectContaining({ custom_id: 'c', response: expect.objectContaining({ status_code: 403 }) })]);
    expect((await client.batches.list()).data.map((b) => b.id)).toContain(batch.id);
    const events = await database.db.execute<{ payload: { data: { batch: { id: string; request_counts: unknown } } } }>(sql`SELECT payload FROM event_deliveries WHERE event_type = 'batch.completed'`);
    expect(events.rows.map((row) => row.payload.data.batch)).toEqual([expect.objectContaining({ id: batch.id, request_counts: { total: 4, completed: 3, failed: 1 } })]);
    await hub.gateway.close();
  });

  it('refuses bad batch files at upload and unknown files at create, naming the line', async () => {
    const upload = (text: string, purpose = 'batch') => client.files.create({ file: new File([text], 'x.jsonl'), purpose: purpose as 'batch' }).catch((error: unknown) => error);
    expect(await upload('{"custom_id": "a"')).toMatchObject({ status: 400, message: expect.stringMatching(/line 1 is not valid JSON/) });
    expect(await upload(jsonl([chatLine('a', 'm', 'x'), chatLine('a', 'm', 'y')]))).toMatchObject({ status: 400, message: expect.stringMatching(/line 2: custom_id "a" is used twice/) });
    expect(await upload(jsonl([{ ...chatLine('a', 'm', 'x'), url: '/v1/embeddings' }]))).toMatchObject({ status: 400, message: expect.stringMatching(/url/) });
    expect(await upload(jsonl([chatLine('a', 'm', 'x')]), 'fine-tune')).toMatchObject({ status: 400, param: 'purpose' });
    expect(await upload('\n\n')).toMatchObject({ status: 400, message: expect.stringMatching(/no requests/) });
    await expect(client.batches.create({ input_file_id: 'file_nope', endpoint: '/v1/chat/completions', completion_window: '24h' })).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    // Another token does not see this token's files.
    const file = await client.files.create({ file: new File([jsonl([chatLine('a', model.id, 'x')])], 'x.jsonl'), purpose: 'batch' });
    const stranger = sdk(hub, await inferenceToken(database.db, { name: 'stranger', tasks: ['reply'] }));
    await expect(stranger.files.retrieve(file.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });

  it('resumes after the batch worker is killed with SIGKILL, never sending a finished line again', async () => {
    const slow = await startFakeModelServer({ replyDelayMs: 150, reply: (body) => `re: ${body.messages.at(-1)?.content ?? ''}` });
    const lines = Array.from({ length: 30 }, (_, i) => chatLine(`line-${i}`, model.id, `question ${i}`));
    const file = await client.files.create({ file: new File([jsonl(lines)], 'big.jsonl'), purpose: 'batch' });
    const workerEnv = { DATABASE_URL: database.url, ...env(slow.url), INFERENCE_BATCH_CONCURRENCY: '2' };
    // The in-process worker of the first test must not take this batch: only the child workers do.
    await queue.stopWorking('inference.batch');
    const batch = await client.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
    const finishedLines = async () => Number((await database.db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM inference_batch_lines WHERE batch_id = ${batch.id}`)).rows[0]?.n);

    const first = startCli(['worker', '--queues', 'inference.batch'], workerEnv);
    await waitFor('ten finished lines', async () => (await finishedLines()) >= 10, 90_000);
    first.child.kill('SIGKILL');
    await first.exited;
    const before = await database.db.execute<{ custom_id: string }>(sql`SELECT custom_id FROM inference_batch_lines WHERE batch_id = ${batch.id}`);
    const finishedBeforeKill = new Set(before.rows.map((row) => row.custom_id));

    // pg-boss hands the job out again once the dead worker's heartbeat is missed.
    const second = startCli(['worker', '--queues', 'inference.batch'], workerEnv);
    try {
      const done = await waitFor('the batch to complete after the restart', async () => {
        const current = await client.batches.retrieve(batch.id);
        return current.status === 'completed' ? current : null;
      }, 120_000);
      expect(done.request_counts).toEqual({ total: 30, completed: 30, failed: 0 });
      const output = (await (await client.files.content(done.output_file_id!)).text()).trim().split('\n').map((line) => JSON.parse(line) as { custom_id: string });
      expect(output.map((line) => line.custom_id)).toEqual(lines.map((line) => line.custom_id));
      const sent = new Map<string, number>();
      for (const chat of slow.chats) sent.set(chat.messages.at(-1)!.content, (sent.get(chat.messages.at(-1)!.content) ?? 0) + 1);
      for (const id of finishedBeforeKill) expect(sent.get(`question ${id.slice(5)}`)).toBe(1);
      // At most the lines in flight at the kill (the concurrency) were sent twice.
      expect(slow.chats.length).toBeLessThanOrEqual(30 + 2);
    } finally {
      second.child.kill('SIGTERM');
      await second.exited;
      await slow.close();
    }
  }, 300_000);
});
