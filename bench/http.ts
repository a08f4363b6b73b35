/**
 * GET /healthz through tuneloop's full middleware stack (metrics, routing, error handling) vs a
 * bare Hono app answering a constant, on loopback, same process, same run. Alternating rounds
 * even out CPU frequency drift; the ratio is what we track (goal ≥ 0.8).
 */
import { serve } from '@hono/node-server';
import autocannon from 'autocannon';
import { Hono } from 'hono';
import { randomBytes } from 'node:crypto';
import { createApp } from '../src/app.ts';
import { openArtifactStore } from '../src/artifacts/index.ts';
import { loadConfig } from '../src/config.ts';
import { createKeyring } from '../src/security/encryption.ts';
import { connectDatabase } from '../src/db/client.ts';
import { createLogger } from '../src/log.ts';

const DURATION_S = Number(process.env.BENCH_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);

function listen(fetch: (request: Request) => Response | Promise<Response>): Promise<{ url: string; close: () => void }> {
  return new Promise((resolve) => {
    const server = serve({ fetch, port: 0, hostname: '127.0.0.1' }, (info) =>
      resolve({ url: `http://127.0.0.1:${info.port}/healthz`, close: () => server.close() }),
    );
  });
}

async function load(url: string) {
  const result = await autocannon({ url, connections: 32, pipelining: 1, duration: DURATION_S });
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, errors: result.errors + result.non2xx };
}

export async function main() {
  const bare = new Hono().get('/healthz', (c) => c.json({ status: 'ok' }));
  // /healthz touches no database; the pool is created but never connects.
  const database = connectDatabase('postgres://bench@127.0.0.1:1/none');
  const full = createApp({
    database,
    queue: null,
    log: createLogger({ LOG_LEVEL: 'warn', LOG_FORMAT: 'json' }),
    config: loadConfig({}),
    keyring: createKeyring(randomBytes(32)),
    artifacts: openArtifactStore(loadConfig({})),
  });
  const bareServer = await listen(bare.fetch);
  const fullServer = await listen(full.fetch);
  const totals = { bare: [] as Awaited<ReturnType<typeof load>>[], full: [] as Awaited<ReturnType<typeof load>>[] };
  for (let round = 0; round < ROUNDS; round++) {
    totals.bare.push(await load(bareServer.url));
    totals.full.push(await load(fullServer.url));
  }
  bareServer.close();
  fullServer.close();
  await database.close();
  const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
  const summary = (runs: typeof totals.bare) => ({
    rps: mean(runs.map((r) => r.rps)),
    p50: mean(runs.map((r) => r.p50)),
    p99: mean(runs.map((r) => r.p99)),
    errors: runs.reduce((a, r) => a + r.errors, 0),
  });
  const b = summary(totals.bare);
  const f = summary(totals.full);
  const row = (name: string, s: typeof b) =>
    `${name.padEnd(22)} ${s.rps.toFixed(0).padStart(8)} req/s   p50 ${s.p50.toFixed(2)} ms   p99 ${s.p99.toFixed(2)} ms   errors ${s.errors}`;
  process.stdout.write(`${row('bare Hono (baseline)', b)}\n${row('tuneloop full stack', f)}\n`);
  process.stdout.write(`ratio (full / bare req/s): ${(f.rps / b.rps).toFixed(2)}   goal >= 0.80   (${ROUNDS}x${DURATION_S}s rounds, 32 connections)\n`);
}
