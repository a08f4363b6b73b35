import OpenAI, { toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOpenAISandbox, SANDBOX_API_KEY, type OpenAISandbox } from '../../integrations/openai/sandbox/index.ts';

const line = (i: number) => JSON.stringify({ messages: [{ role: 'user', content: `Where is order ${i}?` }, { role: 'assistant', content: `Order ${i} ships tomorrow.` }] });
const data = (n: number) => Array.from({ length: n }, (_, i) => line(i)).join('\n') + '\n';

/** The real `openai` SDK against the loopback sandbox: shapes, errors, progress, paging and faults. */
describe('OpenAI sandbox with the openai SDK', () => {
  let sandbox: OpenAISandbox;
  let server: { url: string; close(): Promise<void> };
  let client: OpenAI;

  beforeAll(async () => {
    sandbox = createOpenAISandbox({ stepMs: 5, maxSteps: 8, seed: 3 });
    server = await sandbox.listen();
    client = new OpenAI({ apiKey: SANDBOX_API_KEY, baseURL: `${server.url}/v1`, maxRetries: 3 });
  });
  afterAll(async () => {
    await server.close();
  });

  /** Polls the job through the SDK until it leaves the running statuses: waits on the sandbox's own progress. */
  async function finish(id: string) {
    for (;;) {
      const job = await client.fineTuning.jobs.retrieve(id);
      if (!['validating_files', 'queued', 'running'].includes(job.status)) return job;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  it('refuses a missing or wrong key with 401 in OpenAI error shape, without echoing the key', async () => {
    const wrong = new OpenAI({ apiKey: 'sk-wrong-key-123456789', baseURL: `${server.url}/v1`, maxRetries: 0 });
    const error = await wrong.models.list().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
    expect((error as InstanceType<typeof OpenAI.APIError>).code).toBe('invalid_api_key');
    expect(String((error as Error).message)).not.toContain('sk-wrong-key-123456789');
    const response = await fetch(`${server.url}/v1/models`);
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: { type: 'invalid_request_error', param: null, code: null } });
  });

  it('uploads, lists and returns files; refuses a non-JSONL fine-tuning file', async () => {
    const file = await client.files.create({ file: await toFile(Buffer.from(data(12)), 'train.jsonl'), purpose: 'fine-tune' });
    expect(file).toMatchObject({ object: 'file', purpose: 'fine-tune', filename: 'train.jsonl', status: 'processed', bytes: Buffer.byteLength(data(12)) });
    expect(await (await client.files.content(file.id)).text()).toBe(data(12));
    const listed = await client.files.list({ purpose: 'fine-tune' });
    expect(listed.data.map((f) => f.id)).toContain(file.id);
    const bad = await client.files.create({ file: await toFile(Buffer.from('a,b'), 'train.csv'), purpose: 'fine-tune' }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(OpenAI.BadRequestError);
    expect((bad as InstanceType<typeof OpenAI.APIError>).param).toBe('file');
  });

  it('validates job requests like OpenAI: unknown model, missing file, bad hyperparameters, unknown arguments', async () => {
    const file = await client.files.create({ file: await toFile(Buffer.from(data(12)), 'train.jsonl'), purpose: 'fine-tune' });
    const cases: Array<[Record<string, unknown>, string | null, RegExp]> = [
      [{ model: 'gpt-9', training_file: file.id }, 'model', /not available for fine-tuning/],
      [{ model: 'gpt-4o-mini', training_file: 'file-nope' }, 'training_file', /invalid training_file/],
      [{ model: 'gpt-4o-mini', training_file: file.id, method: { type: 'supervised', supervised: { hyperparameters: { n_epochs: 99 } } } }, 'method.supervised.hyperparameters.n_epochs', /Invalid value/],
      [{ model: 'gpt-4o-mini', training_file: file.id, suffix: 'x'.repeat(65) }, 'suffix', /Invalid value/],
      [{ model: 'gpt-4o-mini', training_file: file.id, turbo: true }, null, /Unrecognized request argument supplied: turbo/],
    ];
    for (const [body, param, message] of cases) {
      const error = await client.fineTuning.jobs.create(body as unknown as OpenAI.FineTuning.JobCreateParams).catch((e: unknown) => e);
      expect(error, JSON.stringify(body)).toBeInstanceOf(OpenAI.BadRequestError);
      expect((error as InstanceType<typeof OpenAI.APIError>).param).toBe(param);
      expect((error as Error).message).toMatch(message);
    }
  });

  it('moves a job through validating_files, queued, running to succeeded, with metrics events, checkpoints and a model', async () => {
    const train = await client.files.create({ file: await toFile(Buffer.from(data(16)), 'train.jsonl'), purpose: 'fine-tune' });
    const valid = await client.files.create({ file: await toFile(Buffer.from(data(4)), 'valid.jsonl'), purpose: 'fine-tune' });
    const created = await client.fineTuning.jobs.create({ model: 'gpt-4o-mini', training_file: train.id, validation_file: valid.id, suffix: 'support', seed: 5, metadata: { team: 'emea' }, method: { type: 'supervised', supervised: { hyperparameters: { n_epochs: 2, batch_size: 4 } } } });
    expect(created).toMatchObject({ object: 'fine_tuning.job', status: 'validating_files', model: 'gpt-4o-mini-2024-07-18', fine_tuned_model: null, seed: 5, metadata: { team: 'emea' } });
    const job = await finish(created.id);
    expect(job).toMatchObject({ status: 'succeeded', fine_tuned_model: expect.stringMatching(/^ft:gpt-4o-mini-2024-07-18:org-tuneloop-sandbox:support:/), hyperparameters: { n_epochs: 2, batch_size: 4 } });
    expect(job.trained_tokens).toBeGreaterThan(0);

    const events = [];
    for await (const event of client.fineTuning.jobs.listEvents(job.id, { limit: 3 })) events.push(event);
    const messages = events.map((event) => event.message).reverse();
    expect(messages[0]).toMatch(/^Validating training file/);
    expect(messages).toContain('Files validated, moving job to queued state');
    expect(messages.at(-1)).toBe('The job has successfully completed');
    const metrics = events.filter((event) => event.type === 'metrics');
    expect(metrics).toHaveLength(8);
    expect(metrics[0]?.data).toMatchObject({ step: 8, total_steps: 8, train_loss: expect.any(Number), valid_loss: expect.any(Number) });

    const checkpoints = await client.fineTuning.jobs.checkpoints.list(job.id);
    expect(checkpoints.data.map((c) => c.step_number)).toEqual([8, 4]);
    expect(checkpoints.data[0]?.fine_tuned_model_checkpoint).toBe(`${job.fine_tuned_model}:ckpt-step-8`);
    expect((await client.models.retrieve(job.fine_tuned_model ?? '')).owned_by).toBe('org-tuneloop-sandbox');

    const byTeam = await client.fineTuning.jobs.list({ metadata: { team: 'emea' } });
    expect(byTeam.data.map((j) => j.id)).toEqual([job.id]);
  });

  it('cancels a running job, and fails a job whose file is broken', async () => {
    // A sandbox whose jobs never move on their own, so the cancel reaches a job that is still going.
    const slow = createOpenAISandbox({ stepMs: 3_600_000 });
    const slowServer = await slow.listen();
    const slowClient = new OpenAI({ apiKey: SANDBOX_API_KEY, baseURL: `${slowServer.url}/v1`, maxRetries: 0 });
    const train = await slowClient.files.create({ file: await toFile(Buffer.from(data(12)), 'train.jsonl'), purpose: 'fine-tune' });
    const created = await slowClient.fineTuning.jobs.create({ model: 'gpt-4.1-mini', training_file: train.id });
    const cancelled = await slowClient.fineTuning.jobs.cancel(created.id);
    expect(cancelled).toMatchObject({ status: 'cancelled', model: 'gpt-4.1-mini-2025-04-14' });
    expect((await slowClient.fineTuning.jobs.listEvents(created.id)).data[0]?.message).toBe('Fine-tuning job cancelled');
    await slowServer.close();

    const broken = await client.files.create({ file: await toFile(Buffer.from(`${line(1)}\n{oops\n`), 'broken.jsonl'), purpose: 'fine-tune' });
    const failed = await finish((await client.fineTuning.jobs.create({ model: 'gpt-4o-mini', training_file: broken.id })).id);
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatchObject({ code: 'invalid_training_file', param: 'training_file' });
  });

  it('answers 429 with Retry-After and 5xx bursts; the SDK waits as told and succeeds, never early', async () => {
    sandbox.setFaults({ rateLimitEvery: 2, retryAfterSeconds: 0.05 });
    const before = sandbox.http.requestLog.length;
    for (let i = 0; i < 4; i++) await client.models.list();
    sandbox.setFaults({ rateLimitEvery: null, errorBurst: 2, errorStatus: 503 });
    expect((await client.models.list()).data.length).toBeGreaterThan(0);
    const log = sandbox.http.requestLog.slice(before);
    expect(log.filter((entry) => entry.status === 429).length).toBeGreaterThanOrEqual(2);
    expect(log.filter((entry) => entry.status === 503)).toHaveLength(2);
    expect(sandbox.http.violations).toEqual([]);
  });
});
