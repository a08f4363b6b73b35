/**
 * The hub's inference API against calling the model server directly, same fake upstream (answers at
 * once, in a process of its own), same run:
 * - overhead per request at a sustained open-loop rate (default 200 requests/s for 60 s): hub
 *   latency p50/p95 minus direct latency p50/p95 (auth, model resolution, scope, rate limits,
 *   usage row, relaying);
 * - streaming: time to the first byte through the hub minus directly, 200 sequential streams;
 * - throughput: closed-loop requests/s through the hub / directly (autocannon, 16 connections).
 * `--json FILE` writes overhead_p50_ms, overhead_p95_ms, ttfb_overhead_p50_ms, ttfb_overhead_p95_ms
 * and throughput_ratio. BENCH_RATE and BENCH_SECONDS change the sustained phase.
 */
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import autocannon from 'autocannon';
import { createApp } from '../src/app.ts';
import { openArtifactStore } from '../src/artifacts/index.ts';
import { loadConfig } from '../src/config.ts';
import { connectDatabase } from '../src/db/client.ts';
import { applyMigrations } from '../src/db/migrate.ts';
import { models } from '../src/db/schema/index.ts';
import { createLogger } from '../src/log.ts';
import { createGateway } from '../src/models/gateway/gateway.ts';
import { createInferenceToken, NewInferenceToken } from '../src/models/gateway/tokens.ts';
import { createKeyring } from '../src/security/encryption.ts';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { benchDatabase } from './database.ts';

const RATE = Number(process.env.BENCH_RATE ?? 200);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 60);
const STREAMS = 200;

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
};

/** Sends `rate` requests a second for `seconds`, whatever the answers' pace (open loop), and returns each latency. */
async function openLoop(send: () => Promise<Response>, rate: number, seconds: number): Promise<{ latencies: number[]; errors: number; lateStarts: number }> {
  const latencies: number[] = [];
  let errors = 0;
  let lateStarts = 0;
  const total = rate * seconds;
  const interval = 1000 / rate;
  const started = performance.now();
  const inflight: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = started + i * interval;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    else if (wait < -interval) lateStarts++;
    const t0 = performance.now();
    inflight.push(
      send().then(
        async (response) => {
          await response.arrayBuffer();
          if (response.ok) latencies.push(performance.now() - t0);
          else errors++;
        },
        () => void errors++,
      ),
    );
  }
  await Promise.all(inflight);
  return { latencies, errors, lateStarts };
}

async function firstByte(send: () => Promise<Response>): Promise<number> {
  const t0 = performance.now();
  const response = await send();
  const reader = response.body!.getReader();
  await reader.read();
  const elapsed = performance.now() - t0;
  while (!(await reader.read()).done);
  return elapsed;
}

/** The fake model server in its own process (bench/fake-upstream.ts). */
async function startUpstream(): Promise<{ url: string; close: () => Promise<void> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./fake-upstream.ts', import.meta.url))], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = (await once(child.stdout!, 'data')) as [Buffer];
  return {
    url: line.toString().trim(),
    close: async () => {
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

export async function main() {
  const { url, done } = await benchDatabase();
  const upstream = await startUpstream();
  const config = loadConfig({ DATABASE_URL: url, INFERENCE_BASE_URL: upstream.url, LOG_LEVEL: 'warn' });
  const log = createLogger({ LOG_LEVEL: 'warn', LOG_FORMAT: 'json' });
  const database = connectDatabase(url);
  await applyMigrations(database);
  const [model] = await database.db.insert(models).values({ task: 'reply', backend: 'local', baseModel: 'base', adapterPath: '/tmp/bench-adapter', status: 'production' }).returning();
  const { token } = await createInferenceToken(database.db, NewInferenceToken.parse({ name: 'bench', tasks: ['*'] }), 'bench');
  const deps = { database, queue: null, log, config, keyring: createKeyring(randomBytes(32)), artifacts: openArtifactStore(config) };
  const gateway = createGateway(deps);
  const app = createApp(deps, { gateway });
  const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 });
  await new Promise((resolve) => server.once('listening', resolve));
  const hubUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;

  const body = (modelName: string, stream = false) => JSON.stringify({ model: modelName, messages: [{ role: 'system', content: 'You are a support agent.' }, { role: 'user', content: 'Where is my order #1234? It was due yesterday.' }], max_tokens: 100, stream });
  const viaHub = (stream = false) => () => fetch(`${hubUrl}/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: body('reply@production', stream) });
  const direct = (stream = false) => () => fetch(`${upstream.url}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: body(`tuneloop-${model!.id}`, stream) });

  // Warm-up: the adapter load, connection pools, JIT.
  for (let i = 0; i < 200; i++) {
    await (await viaHub()()).arrayBuffer();
    await (await direct()()).arrayBuffer();
  }

  process.stdout.write(`sustained ${RATE} requests/s for ${SECONDS} s, each way…\n`);
  const directRun = await openLoop(direct(), RATE, SECONDS);
  const hubRun = await openLoop(viaHub(), RATE, SECONDS);

  const ttfbDirect: number[] = [];
  const ttfbHub: number[] = [];
  for (let i = 0; i < STREAMS; i++) {
    ttfbDirect.push(await firstByte(direct(true)));
    ttfbHub.push(await firstByte(viaHub(true)));
  }

  const closedLoop = async (target: string, headers: Record<string, string>, modelName: string) =>
    (await autocannon({ url: `${target}/chat/completions`, method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: body(modelName), connections: 16, pipelining: 1, duration: 10 })).requests.average;
  const directRps = await closedLoop(upstream.url, {}, `tuneloop-${model!.id}`);
  const hubRps = await closedLoop(hubUrl, { authorization: `Bearer ${token}` }, 'reply@production');

  await new Promise((resolve) => server.close(resolve));
  await gateway.close();
  await upstream.close();
  await database.close();
  await done();

  const figures = {
    rate_per_s: RATE,
    seconds: SECONDS,
    direct_p50_ms: percentile(directRun.latencies, 50),
    direct_p95_ms: percentile(directRun.latencies, 95),
    hub_p50_ms: percentile(hubRun.latencies, 50),
    hub_p95_ms: percentile(hubRun.latencies, 95),
    overhead_p50_ms: percentile(hubRun.latencies, 50) - percentile(directRun.latencies, 50),
    overhead_p95_ms: percentile(hubRun.latencies, 95) - percentile(directRun.latencies, 95),
    errors: directRun.errors + hubRun.errors,
    late_starts: directRun.lateStarts + hubRun.lateStarts,
    ttfb_overhead_p50_ms: percentile(ttfbHub, 50) - percentile(ttfbDirect, 50),
    ttfb_overhead_p95_ms: percentile(ttfbHub, 95) - percentile(ttfbDirect, 95),
    direct_rps: directRps,
    hub_rps: hubRps,
    throughput_ratio: hubRps / directRps,
  };
  const ms = (value: number) => `${value.toFixed(2)} ms`;
  process.stdout.write(
    [
      `direct (baseline)   p50 ${ms(figures.direct_p50_ms)}  p95 ${ms(figures.direct_p95_ms)}`,
      `through the hub     p50 ${ms(figures.hub_p50_ms)}  p95 ${ms(figures.hub_p95_ms)}   errors ${figures.errors}, late starts ${figures.late_starts}`,
      `hub overhead        p50 ${ms(figures.overhead_p50_ms)}  p95 ${ms(figures.overhead_p95_ms)}   goal p95 <= 10 ms`,
      `stream first byte   overhead p50 ${ms(figures.ttfb_overhead_p50_ms)}  p95 ${ms(figures.ttfb_overhead_p95_ms)}`,
      `throughput          hub ${hubRps.toFixed(0)} req/s / direct ${directRps.toFixed(0)} req/s = ${figures.throughput_ratio.toFixed(2)}`,
      '',
    ].join('\n'),
  );
  return figures;
}
