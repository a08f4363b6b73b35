/**
 * `npm run bench -- serve-cpu`: the model server (gpu-worker `serve`, transformers on the CPU) with a
 * registered base model (SmolLM2-135M-Instruct by default) and a LoRA adapter, streaming: first-token
 * latency and decode tokens/s of the adapter vs the base model alone, in the same server and run,
 * requests interleaved one at a time (the server answers one at a time).
 *
 * The base model comes from TUNELOOP_HOME (default ./.tuneloop; `tuneloop models base add
 * smollm2-135m-instruct` installs it; TUNELOOP_HOME=.tuneloop-demo uses the demo's). BENCH_ADAPTER
 * names a trained adapter (e.g. .tuneloop-demo/runs/<job>/adapter); without it the bench writes a
 * fresh LoRA (r 16 on q/k/v/o: the same compute as a trained one). BENCH_REQUESTS (default 6 per
 * side), BENCH_MAX_TOKENS (default 64) and BENCH_BASE_MODEL change the size.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import OpenAI from 'openai';
import { DEFAULT_CPU_BASE_MODEL } from '../src/training/base-models/catalog.ts';
import { getBaseModel } from '../src/training/base-models/registry.ts';
import { WORKER_DIR } from '../src/training/worker/process.ts';
import { chatRows } from '../test/training/support.ts';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 6);
const MAX_TOKENS = Number(process.env.BENCH_MAX_TOKENS ?? 64);
const NAME = process.env.BENCH_BASE_MODEL ?? DEFAULT_CPU_BASE_MODEL;
const PYTHON = process.env.TUNELOOP_WORKER_PYTHON ?? join(WORKER_DIR, '.venv', 'bin', 'python');

const FRESH_ADAPTER = `
import sys
from peft import LoraConfig, get_peft_model
from transformers import AutoModelForCausalLM
model = AutoModelForCausalLM.from_pretrained(sys.argv[1])
config = LoraConfig(r=16, lora_alpha=32, target_modules=["q_proj", "k_proj", "v_proj", "o_proj"], task_type="CAUSAL_LM", init_lora_weights=False)
get_peft_model(model, config).save_pretrained(sys.argv[2])
`;

interface Sample {
  firstTokenMs: number;
  tokens: number;
  decodeSeconds: number;
}

async function streamOnce(client: OpenAI, model: string, messages: Array<{ role: 'system' | 'user'; content: string }>): Promise<Sample> {
  const started = performance.now();
  let first: number | null = null;
  let tokens = 0;
  const stream = await client.chat.completions.create({ model, messages, max_tokens: MAX_TOKENS, temperature: 0, stream: true, stream_options: { include_usage: true } });
  for await (const chunk of stream) {
    if (first === null && chunk.choices[0]?.delta?.content) first = performance.now();
    if (chunk.usage) tokens = chunk.usage.completion_tokens;
  }
  const ended = performance.now();
  const firstAt = first ?? ended;
  return { firstTokenMs: firstAt - started, tokens, decodeSeconds: (ended - firstAt) / 1000 };
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? Number.NaN) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};

function summarize(samples: Sample[]) {
  // Decode rate: tokens after the first over the time after the first (the first token's wait is the latency).
  const rates = samples.filter((s) => s.tokens > 1 && s.decodeSeconds > 0).map((s) => (s.tokens - 1) / s.decodeSeconds);
  return { first_token_ms_p50: Math.round(median(samples.map((s) => s.firstTokenMs))), tokens_per_second_p50: Number(median(rates).toFixed(2)), completion_tokens: samples.reduce((sum, s) => sum + s.tokens, 0) };
}

export async function main() {
  const home = resolve(process.env.TUNELOOP_HOME ?? '.tuneloop');
  const base = getBaseModel(home, NAME);
  if (!base) {
    // Skipped, not failed: `npm run bench` (all of them) goes on; installing is a download and a conversion.
    const reason = `base model ${NAME} is not registered under ${home}: run \`tuneloop models base add ${NAME}\` (or set TUNELOOP_HOME=.tuneloop-demo after the demo)`;
    process.stdout.write(`skipped: ${reason}\n`);
    return { skipped: reason };
  }
  const scratch = mkdtempSync(join(tmpdir(), 'bench-serve-cpu-'));
  try {
    let adapter = process.env.BENCH_ADAPTER;
    if (!adapter) {
      adapter = join(scratch, 'adapter');
      const made = spawnSync(PYTHON, ['-c', FRESH_ADAPTER, base.path, adapter], { encoding: 'utf8' });
      if (made.status !== 0) throw new Error(`writing a fresh adapter failed:\n${made.stderr}`);
    }
    const server = spawn(PYTHON, ['-m', 'tuneloop_worker', 'serve', '--model', base.path, '--served-model-name', NAME, '--lora-modules', `adapter=${adapter}`, '--port', '0'], { cwd: WORKER_DIR, stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      const baseURL = await new Promise<string>((done, fail) => {
        server.once('exit', (code) => fail(new Error(`the model server exited (${code}) before serving`)));
        createInterface({ input: server.stdout }).on('line', (line) => {
          const event = JSON.parse(line) as { type?: string; base_url?: string };
          if (event.type === 'serving' && event.base_url) done(event.base_url);
        });
      });
      const client = new OpenAI({ apiKey: 'EMPTY', baseURL, maxRetries: 0, timeout: 600_000 });
      const prompts = chatRows(REQUESTS + 1, 200).map((row) => row.messages.filter((m) => m.role !== 'assistant') as Array<{ role: 'system' | 'user'; content: string }>);
      // One warm-up each: the first request pays for lazy initialisation.
      await streamOnce(client, NAME, prompts[0] ?? []);
      await streamOnce(client, 'adapter', prompts[0] ?? []);
      const samples: Record<'base' | 'adapter', Sample[]> = { base: [], adapter: [] };
      for (let i = 1; i <= REQUESTS; i++) {
        const order = i % 2 ? (['base', 'adapter'] as const) : (['adapter', 'base'] as const);
        for (const side of order) samples[side].push(await streamOnce(client, side === 'base' ? NAME : 'adapter', prompts[i] ?? []));
      }
      const figures = { model: NAME, parameters: base.parameters, requests_per_side: REQUESTS, max_tokens: MAX_TOKENS, adapter: process.env.BENCH_ADAPTER ? 'trained' : 'fresh (r 16, q/k/v/o)', base: summarize(samples.base), with_adapter: summarize(samples.adapter) };
      const ratio = figures.with_adapter.tokens_per_second_p50 / figures.base.tokens_per_second_p50;
      process.stdout.write(`model server: gpu-worker serve (transformers, CPU, float32), ${NAME} (${(base.parameters / 1e6).toFixed(1)}M parameters), streaming, ${REQUESTS} requests per side, max ${MAX_TOKENS} tokens, temperature 0\n`);
      process.stdout.write(`base model alone (baseline): first token p50 ${figures.base.first_token_ms_p50} ms, decode ${figures.base.tokens_per_second_p50} tokens/s\n`);
      process.stdout.write(`with the LoRA adapter:       first token p50 ${figures.with_adapter.first_token_ms_p50} ms, decode ${figures.with_adapter.tokens_per_second_p50} tokens/s  (${ratio.toFixed(2)}x the base's tokens/s)\n`);
      return { ...figures, adapter_tokens_per_second_ratio: Number(ratio.toFixed(3)) };
    } finally {
      server.kill('SIGTERM');
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
