/**
 * The inference client against the real `python -m tuneloop_worker serve` (tiny random Qwen2 on the
 * CPU, an untrained LoRA adapter): the protocol as the worker speaks it, runtime adapter loading,
 * a server that goes away and comes back (restarted, it has forgotten the adapter).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { createInferenceClient, ModelUnavailableError, type InferenceClient, type ServedModel } from '../../src/models/inference/client.ts';
import { captureLogger } from '../support/logger.ts';
import { ensureWorkerVenv, pythonMissing, tinyModel, WORKER_PYTHON } from '../training/support.ts';

const WORKER_DIR = fileURLToPath(new URL('../../gpu-worker', import.meta.url));
const API_KEY = 'serve-test-key';

/** An untrained LoRA adapter on the tiny model (PEFT starts B at zero): enough to exercise loading. */
const MAKE_ADAPTER = `
import sys
from transformers import AutoModelForCausalLM
from peft import LoraConfig, get_peft_model
model = AutoModelForCausalLM.from_pretrained(sys.argv[1])
get_peft_model(model, LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"], task_type="CAUSAL_LM")).save_pretrained(sys.argv[2])
`;

interface Serving {
  process: ChildProcess;
  port: number;
}

/** Starts the worker's server and waits for its `serving` event (it prints nothing else on stdout). */
function startServe(model: string, port: number, adapterRoot: string): Promise<Serving> {
  const child = spawn(WORKER_PYTHON, ['-m', 'tuneloop_worker', 'serve', '--model', model, '--port', String(port), '--api-key', API_KEY, '--adapter-root', adapterRoot], { cwd: WORKER_DIR, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk) => (stderr = (stderr + String(chunk)).slice(-4000)));
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    lines.once('line', (line) => {
      const event = JSON.parse(line) as { type: string; port?: number };
      if (event.type === 'serving' && event.port) resolve({ process: child, port: event.port });
      else reject(new Error(`serve did not start: ${line} ${stderr}`));
    });
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
  });
}

function stopServe(serving: Serving | undefined): Promise<void> {
  if (!serving || serving.process.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    serving.process.once('exit', () => resolve());
    serving.process.kill('SIGTERM');
  });
}

const missing = pythonMissing();

describe.skipIf(missing)('inference client against the gpu-worker serve', () => {
  const work = mkdtempSync(join(tmpdir(), 'tuneloop-serve-'));
  let base: string;
  let serving: Serving | undefined;
  let inference: InferenceClient;
  let clock = 0;
  const adapterPath = join(work, 'adapter');

  beforeAll(async () => {
    ensureWorkerVenv();
    base = tinyModel();
    const made = spawnSync(WORKER_PYTHON, ['-c', MAKE_ADAPTER, base, adapterPath], { cwd: WORKER_DIR, encoding: 'utf8' });
    if (made.status !== 0) throw new Error(`adapter build failed: ${made.stderr.slice(-2000)}`);
    serving = await startServe(base, 0, work);
    const config = loadConfig({ INFERENCE_BASE_URL: `http://127.0.0.1:${serving.port}/v1`, INFERENCE_API_KEY: API_KEY, INFERENCE_MAX_RETRIES: '0', INFERENCE_BREAKER_FAILURES: '1' });
    inference = createInferenceClient({ config, log: captureLogger().log, now: () => clock });
  }, 10 * 60_000);
  afterAll(async () => {
    await stopServe(serving);
    rmSync(work, { recursive: true, force: true });
  });

  const messages = [
    { role: 'system' as const, content: 'You are a helpful customer support agent.' },
    { role: 'user' as const, content: 'I want to cancel my order' },
  ];
  const served = (overrides: Partial<ServedModel>): ServedModel => ({ id: crypto.randomUUID(), task: 'reply', backend: 'local', baseModel: base, adapterPath: null, modelPath: null, providerModel: null, ...overrides });

  it('completes with the base model and with a LoRA adapter it loads at run time; json is accepted', async () => {
    const plain = await inference.complete(served({}), messages, { maxTokens: 8, temperature: 0 });
    expect(plain.servedAs).toBe(base);
    expect(plain.completionTokens).toBeGreaterThan(0);
    expect(plain.promptTokens).toBeGreaterThan(0);

    const adapter = served({ adapterPath });
    const tuned = await inference.complete(adapter, messages, { maxTokens: 8, temperature: 0, json: true });
    expect(tuned.servedAs).toBe(`tuneloop-${adapter.id}`);
    // An untrained adapter (B = 0) answers exactly like its base.
    expect(tuned.text).toBe(plain.text);
    const listed = (await (await fetch(`http://127.0.0.1:${serving?.port}/v1/models`, { headers: { Authorization: `Bearer ${API_KEY}` } })).json()) as { data: Array<{ id: string }> };
    expect(listed.data.map((m) => m.id)).toEqual([base, `tuneloop-${adapter.id}`]);
  });

  it('server stopped: ModelUnavailableError; restarted (adapter forgotten): the adapter is loaded again and drafts resume', async () => {
    const adapter = served({ adapterPath });
    await inference.complete(adapter, messages, { maxTokens: 4 });
    const port = serving?.port ?? 0;
    await stopServe(serving);
    await expect(inference.complete(adapter, messages, { maxTokens: 4 })).rejects.toBeInstanceOf(ModelUnavailableError);
    await expect(inference.complete(adapter, messages, { maxTokens: 4 })).rejects.toThrow(/circuit open/);

    serving = await startServe(base, port, work);
    clock += 60_000; // past the breaker's cooldown: the next call is the half-open trial
    const resumed = await inference.complete(adapter, messages, { maxTokens: 4 });
    expect(resumed.servedAs).toBe(`tuneloop-${adapter.id}`);
  });
});
