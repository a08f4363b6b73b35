/**
 * Shared set-up for training tests: chat examples from the Bitext fixture, the gpu-worker's venv,
 * one tiny random model (built once per machine and reused, like the worker's own tests do), a
 * fast run config, and file uploads through the API.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

// One BLAS/OpenMP thread per worker: on a busy 2-core machine, torch's default thread pool makes a
// tiny model's steps about ten times slower (measured: 0.5 s instead of 4-9 s for 8 steps). The
// in-process runner and the hub child processes pass this environment on to the worker.
process.env.OMP_NUM_THREADS ??= '1';
export const WORKER_PYTHON = join(ROOT, 'gpu-worker', '.venv', 'bin', 'python');
const SYSTEM = 'You are a helpful customer support agent.';

export type ChatRow = { messages: Array<{ role: 'system' | 'user' | 'assistant'; content: string }> };

let cachedRows: ChatRow[] | null = null;

/** Chat examples from fixtures/bitext_customer_support.csv, in a fixed order. */
export function chatRows(count: number, offset = 0): ChatRow[] {
  if (!cachedRows) {
    const records = parse(readFileSync(join(ROOT, 'fixtures', 'bitext_customer_support.csv')), { columns: true }) as Array<Record<string, string>>;
    cachedRows = records.slice(0, 400).map((row) => ({
      messages: [
        { role: 'system', content: SYSTEM },
        { role: 'user', content: row.instruction ?? '' },
        { role: 'assistant', content: row.response ?? '' },
      ],
    }));
  }
  return cachedRows.slice(offset, offset + count);
}

export const jsonl = (rows: unknown[]) => rows.map((row) => JSON.stringify(row)).join('\n') + '\n';

/** Null when the tests can run; otherwise why not (only a missing python3 skips). */
export function pythonMissing(): string | null {
  const probe = spawnSync(process.env.PYTHON ?? 'python3', ['--version'], { encoding: 'utf8' });
  return probe.error || probe.status !== 0 ? 'python3 is not installed: the gpu-worker (and these training tests) need it' : null;
}

/** A cross-process lock: test files run in parallel and must not build the same thing twice at once. */
function withLock<T>(name: string, run: () => T): T {
  const lock = join(tmpdir(), `${name}.lock`);
  const deadline = Date.now() + 20 * 60_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // A lock older than 20 minutes belongs to a run that died.
      if (Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now()) > 20 * 60_000) rmSync(lock, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${lock}`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200); // a synchronous pause while another file builds
    }
  }
  try {
    return run();
  } finally {
    rmdirSync(lock);
  }
}

/** `tuneloop worker setup --quiet`: a no-op when the venv is current, minutes on a fresh checkout. */
export function ensureWorkerVenv(): void {
  withLock('tuneloop-worker-setup', () => {
    const result = spawnSync(join(ROOT, 'node_modules', '.bin', 'node'), ['--import', 'tsx', 'src/cli.ts', 'worker', 'setup', '--quiet'], { cwd: ROOT, encoding: 'utf8', stdio: 'pipe' });
    if (result.status !== 0) throw new Error(`gpu-worker setup failed: ${result.stderr}`);
  });
}

/** Training and validation data of the tiny model's vocabulary: the first 80 rows. */
export const TRAIN_ROWS = chatRows(64);
export const VALIDATION_ROWS = chatRows(16, 64);

/** A tiny random Qwen2 (hidden 32, 2 layers, 500-token BPE) built once and shared by every test file. */
export function tinyModel(): string {
  const data = jsonl([...TRAIN_ROWS, ...VALIDATION_ROWS]);
  const hash = createHash('sha256').update(data).update('hidden=32,layers=2,vocab=500').digest('hex').slice(0, 12);
  const target = join(tmpdir(), `tuneloop-tiny-model-${hash}`);
  if (existsSync(join(target, 'config.json'))) return target;
  return withLock(`tuneloop-tiny-model-${hash}`, () => {
    if (existsSync(join(target, 'config.json'))) return target;
    const work = `${target}.${process.pid}.tmp`;
    rmSync(work, { recursive: true, force: true });
    mkdirSync(work, { recursive: true });
    writeFileSync(join(work, 'data.jsonl'), data);
    const result = spawnSync(WORKER_PYTHON, ['-m', 'tuneloop_worker', 'tiny-model', '--data', join(work, 'data.jsonl'), '--out', join(work, 'model'), '--vocab-size', '500'], {
      cwd: join(ROOT, 'gpu-worker'),
      encoding: 'utf8',
    });
    if (result.status !== 0) throw new Error(`tiny model build failed: ${result.stderr.slice(-2000)}`);
    rmSync(target, { recursive: true, force: true });
    renameSync(join(work, 'model'), target);
    rmSync(work, { recursive: true, force: true });
    return target;
  });
}

/** Hyperparameters for a run that takes seconds on a CPU (far outside the proven ranges: warnings only). */
export function fastHyperparameters(overrides: Record<string, unknown> = {}) {
  return {
    learning_rate: 0.02,
    max_steps: 6,
    per_device_batch_size: 4,
    gradient_accumulation: 1,
    warmup_steps: 0,
    max_seq_length: 64,
    eval_every_steps: 2,
    log_every_steps: 1,
    gradient_checkpointing: false,
    early_stopping_patience: 0,
    lora: { r: 8, alpha: 16, dropout: 0 },
    ...overrides,
  };
}

type Requester = { request: (path: string, init?: RequestInit) => Response | Promise<Response> };

/** Uploads JSONL through POST /api/v1/files (multipart, as the OpenAI SDK does) and returns the file id. */
export async function uploadJsonl(app: Requester, token: string, filename: string, content: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const form = new FormData();
  form.append('purpose', 'fine-tune');
  form.append('file', new Blob([content], { type: 'application/jsonl' }), filename);
  const response = await app.request('/api/v1/files', { method: 'POST', headers: { Authorization: `Bearer ${token}` }, body: form });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

export interface StreamedEvent {
  id: string;
  event_type: string;
  message: string;
  level: string;
  data: Record<string, any>;
}

/**
 * Reads a job's live event stream (SSE) until its `end` frame, calling `onEvent` as events arrive.
 * Resolves with every event and the final status: the test waits on the job's own events, not on time.
 */
export async function followEvents(app: Requester, token: string, jobId: string, onEvent: (event: StreamedEvent) => void | Promise<void> = () => undefined): Promise<{ events: StreamedEvent[]; status: string }> {
  const response = await app.request(`/api/v1/fine_tuning/jobs/${jobId}/events/stream`, { headers: { Authorization: `Bearer ${token}` } });
  if (!response.body) throw new Error(`no stream: ${response.status}`);
  const decoder = new TextDecoder();
  const events: StreamedEvent[] = [];
  let buffered = '';
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    buffered += decoder.decode(chunk, { stream: true });
    let end = buffered.indexOf('\n\n');
    while (end >= 0) {
      const frame = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      end = buffered.indexOf('\n\n');
      const kind = /^event: (.*)$/m.exec(frame)?.[1];
      const data = /^data: (.*)$/m.exec(frame)?.[1] ?? '{}';
      if (kind === 'end') return { events, status: String((JSON.parse(data) as { status: string }).status) };
      const event = JSON.parse(data) as StreamedEvent;
      events.push(event);
      await onEvent(event);
    }
  }
  throw new Error('the event stream closed without an end frame');
}

/** True when some LoRA B matrix of a saved adapter is non-zero (PEFT starts them at zero). */
export function adapterMoved(safetensorsPath: string): boolean {
  const bytes = readFileSync(safetensorsPath);
  const headerLength = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8')) as Record<string, { data_offsets?: [number, number] }>;
  const start = 8 + headerLength;
  return Object.entries(header).some(([name, tensor]) => {
    if (!name.includes('lora_B') || !tensor.data_offsets) return false;
    const [from, to] = tensor.data_offsets;
    return bytes.subarray(start + from, start + to).some((byte) => byte !== 0);
  });
}
