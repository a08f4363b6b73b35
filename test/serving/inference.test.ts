/**
 * The inference client against a loopback OpenAI-protocol server (test/support/fake-model-server.ts):
 * adapter loading, failures, the circuit breaker and its metrics. The breaker's clock is the
 * test's, so nothing waits for a cooldown. inference-serve.test.ts runs the real gpu-worker server.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { inferenceBreakerOpen, inferenceRequests } from '../../src/models/inference/metrics.ts';
import { createInferenceClient, ModelRequestError, ModelUnavailableError, type ServedModel } from '../../src/models/inference/client.ts';
import { startFakeModelServer, type FakeModelServer } from '../support/fake-model-server.ts';
import { captureLogger } from '../support/logger.ts';

const messages = [
  { role: 'system' as const, content: 'You are a support agent.' },
  { role: 'user' as const, content: 'Where is my order?' },
];

function model(task: string, overrides: Partial<ServedModel> = {}): ServedModel {
  return { id: crypto.randomUUID(), task, backend: 'local', baseModel: 'base', adapterPath: null, modelPath: null, providerModel: null, ...overrides };
}

async function requests(task: string, outcome: string): Promise<number> {
  return (await inferenceRequests.get()).values.find((v) => v.labels.task === task && v.labels.outcome === outcome)?.value ?? 0;
}
async function breakerGauge(server: { port: number }): Promise<number | undefined> {
  return (await inferenceBreakerOpen.get()).values.find((v) => v.labels.endpoint === `127.0.0.1:${server.port}/v1`)?.value;
}

function client(server: FakeModelServer, env: Record<string, string> = {}) {
  let clock = 0;
  const { log, lines } = captureLogger();
  const inference = createInferenceClient({
    config: loadConfig({ INFERENCE_BASE_URL: server.url, INFERENCE_MAX_RETRIES: '0', INFERENCE_BREAKER_FAILURES: '2', INFERENCE_BREAKER_COOLDOWN_MS: '1000', ...env }),
    log,
    now: () => clock,
  });
  return { inference, lines, advance: (ms: number) => (clock += ms) };
}

describe('inference client (loopback OpenAI-protocol server)', () => {
  const servers: FakeModelServer[] = [];
  const start = async (...args: Parameters<typeof startFakeModelServer>) => {
    const server = await startFakeModelServer(...args);
    servers.push(server);
    return server;
  };
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close().catch(() => undefined)));
  });

  it('drops control characters a model writes (a NUL cannot go into a note or a row)', async () => {
    const server = await start({ reply: () => 'Hello\u0000 there,\u0007\nthanks\tfor waiting.' });
    const result = await client(server).inference.complete(model('t-ctl'), messages);
    expect(result.text).toBe('Hello there,\nthanks\tfor waiting.');
  });

  it('completes with a base model: text, tokens, the served name; json asks for a JSON object', async () => {
    const server = await start({ reply: (body) => (body.response_format ? '{"priority":"high"}' : 'Your order ships today.') });
    const { inference } = client(server);
    const result = await inference.complete(model('t-ok'), messages, { maxTokens: 64, temperature: 0 });
    expect(result).toMatchObject({ text: 'Your order ships today.', servedAs: 'base', completionTokens: 23 });
    expect(result.promptTokens).toBeGreaterThan(0);
    expect(server.chats[0]).toMatchObject({ model: 'base', max_completion_tokens: 64, temperature: 0, messages });
    const json = await inference.complete(model('t-ok'), messages, { json: true });
    expect(json.text).toBe('{"priority":"high"}');
    expect(server.chats[1]?.response_format).toEqual({ type: 'json_object' });
    expect(await requests('t-ok', 'ok')).toBe(2);
  });

  it('loads a LoRA adapter once per process, shared by concurrent first calls, and again after the server forgot it', async () => {
    const server = await start();
    const { inference } = client(server);
    const adapter = model('t-adapter', { adapterPath: '/models/run-1/adapter' });
    const results = await Promise.all([1, 2, 3].map(() => inference.complete(adapter, messages)));
    expect(results.map((r) => r.servedAs)).toEqual(Array(3).fill(`tuneloop-${adapter.id}`));
    await inference.complete(adapter, messages);
    expect(server.loads).toEqual([{ lora_name: `tuneloop-${adapter.id}`, lora_path: '/models/run-1/adapter' }]);

    server.forgetAdapters(); // a restarted server: the next call gets a 404, loads again and retries once
    await expect(inference.complete(adapter, messages)).resolves.toMatchObject({ servedAs: `tuneloop-${adapter.id}` });
    expect(server.loads).toHaveLength(2);
    expect(server.chats).toHaveLength(5);

    // Another process loaded it already: "already loaded" counts as loaded.
    const second = client(server).inference;
    await expect(second.complete(adapter, messages)).resolves.toMatchObject({ servedAs: `tuneloop-${adapter.id}` });
    expect(server.loads).toHaveLength(2);
  });

  it('server down: ModelUnavailableError, the breaker opens and refuses at once; back up: a half-open trial closes it', async () => {
    const server = await start();
    const port = server.port;
    const { inference, advance, lines } = client(server);
    await inference.complete(model('t-down'), messages);
    await server.close();

    for (let i = 0; i < 2; i++) {
      const failure = await inference.complete(model('t-down'), messages).catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(ModelUnavailableError);
      expect((failure as Error).message).toMatch(/could not be reached/);
    }
    expect(await requests('t-down', 'unavailable')).toBe(2);
    expect(await breakerGauge(server)).toBe(1);
    const refused = await inference.complete(model('t-down'), messages).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ModelUnavailableError);
    expect((refused as Error).message).toMatch(/circuit open/);
    expect(await requests('t-down', 'breaker_open')).toBe(1);
    expect(lines().some((line) => line.msg === 'model server circuit breaker opened: requests fail fast until a trial succeeds')).toBe(true);

    const again = await start({}, port);
    advance(1_000);
    await expect(inference.complete(model('t-down'), messages)).resolves.toMatchObject({ servedAs: 'base' });
    expect(await breakerGauge(again)).toBe(0);
    await expect(inference.complete(model('t-down'), messages)).resolves.toMatchObject({ servedAs: 'base' });
    expect(again.chats).toHaveLength(2);
  });

  it('5xx and timeouts are unavailable; a 400 is a refused request that does not trip the breaker', async () => {
    const server = await start();
    const { inference } = client(server, { INFERENCE_TIMEOUT_MS: '200', INFERENCE_BREAKER_FAILURES: '3' });
    server.failWith(503);
    await expect(inference.complete(model('t-5xx'), messages)).rejects.toBeInstanceOf(ModelUnavailableError);
    server.failWith(null);
    server.hang(true);
    const timeout = await inference.complete(model('t-5xx'), messages).catch((e: unknown) => e);
    expect(timeout).toBeInstanceOf(ModelUnavailableError);
    expect((timeout as Error).message).toMatch(/timed out/);
    server.hang(false);
    server.failWith(400);
    await expect(inference.complete(model('t-5xx'), messages)).rejects.toBeInstanceOf(ModelRequestError);
    // The 400 proved the server is up: the two failures before it no longer count.
    server.failWith(503);
    await expect(inference.complete(model('t-5xx'), messages)).rejects.toBeInstanceOf(ModelUnavailableError);
    server.failWith(null);
    await expect(inference.complete(model('t-5xx'), messages)).resolves.toMatchObject({ servedAs: 'base' });
    expect(await requests('t-5xx', 'unavailable')).toBe(3);
    expect(await requests('t-5xx', 'rejected')).toBe(1);
  });

  it('a model the server does not serve is unavailable; an openai model without a key is refused before any request', async () => {
    const server = await start();
    const { inference } = client(server);
    await expect(inference.complete(model('t-missing', { baseModel: 'other-base' }), messages)).rejects.toThrow(/is not served/);
    await expect(inference.complete(model('t-missing', { backend: 'openai', providerModel: 'ft:gpt-4o-mini:x' }), messages)).rejects.toThrow(/OPENAI_API_KEY is not set/);
    expect(server.chats).toHaveLength(0);
  });

  it('openai models go to OPENAI_BASE_URL by their provider name, with the OpenAI key', async () => {
    const local = await start();
    const openai = await start({ baseModels: ['ft:gpt-4o-mini:acme::abc'] });
    const { inference } = client(local, { OPENAI_BASE_URL: openai.url, OPENAI_API_KEY: 'sk-test' });
    const result = await inference.complete(model('t-openai', { backend: 'openai', baseModel: 'gpt-4o-mini', providerModel: 'ft:gpt-4o-mini:acme::abc' }), messages);
    expect(result.servedAs).toBe('ft:gpt-4o-mini:acme::abc');
    expect(openai.chats).toHaveLength(1);
    expect(local.chats).toHaveLength(0);
  });
});
