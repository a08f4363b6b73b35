/**
 * Inbound webhooks/s: signed Zendesk deliveries through tuneloop's full stack (raw body, HMAC
 * check, zod, dedup insert + draft.generate + triage.apply in one transaction) vs a bare Hono
 * handler answering 200 to the same requests, on loopback, same process, same run. Every request
 * carries a new X-Zendesk-Webhook-Invocation-Id, so each one is new work (no dedup shortcut).
 * Goal: ≥ 0.5 of the bare handler.
 */
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { serve } from '@hono/node-server';
import autocannon from 'autocannon';
import { sql } from 'drizzle-orm';
import { Hono } from 'hono';
import { benchDatabase } from './database.ts';
import { createApp } from '../src/app.ts';
import { openArtifactStore } from '../src/artifacts/index.ts';
import { loadConfig } from '../src/config.ts';
import { connectDatabase } from '../src/db/client.ts';
import { applyMigrations } from '../src/db/migrate.ts';
import { connections } from '../src/db/schema/index.ts';
import { createLogger } from '../src/log.ts';
import { startQueue } from '../src/queue/queue.ts';
import { createKeyring, encryptJson } from '../src/security/encryption.ts';
import { credentialsPlace } from '../src/connections/open.ts';
import { saveEndpoint } from '../src/webhooks/secrets.ts';

const DURATION_S = Number(process.env.BENCH_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const CONNECTIONS = 32;

/** autocannon's per-request hook, which the shared typings leave out. */
type Loader = (options: {
  url: string;
  connections: number;
  pipelining: number;
  duration: number;
  requests: Array<{ method: 'POST'; setupRequest: (request: Record<string, unknown>) => { method: 'POST'; headers: Record<string, string>; body: string } }>;
}) => Promise<{ requests: { average: number }; latency: { p50: number; p99: number }; errors: number; non2xx: number }>;


function listen(fetch: (request: Request) => Response | Promise<Response>): Promise<{ port: number; close: () => void }> {
  return new Promise((resolve) => {
    const server = serve({ fetch, port: 0, hostname: '127.0.0.1' }, (info) => resolve({ port: info.port, close: () => server.close() }));
  });
}

/**
 * Signed Zendesk deliveries, each one new: a fresh invocation id and a body (and so a signature)
 * of its own, since a signature seen before is a replay too.
 */
function signedRequests(secret: string) {
  const run = randomBytes(4).toString('hex');
  let counter = 0;
  return [
    {
      method: 'POST' as const,
      setupRequest: (request: Record<string, unknown>) => {
        const n = counter++;
        const timestamp = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
        const body = JSON.stringify({ tuneloop: 1, event: 'ticket.end_user_update', ticket_id: String(4242 + (n % 1000)), updated_at: `${run}-${n}` });
        return {
          ...request,
          method: 'POST' as const,
          headers: {
            'content-type': 'application/json',
            'x-zendesk-webhook-invocation-id': `${run}-${n}`,
            'x-zendesk-webhook-signature-timestamp': timestamp,
            'x-zendesk-webhook-signature': createHmac('sha256', secret).update(timestamp + body).digest('base64'),
          },
          body,
        };
      },
    },
  ];
}

export async function main() {
  const scratch = await benchDatabase();
  const log = createLogger({ LOG_LEVEL: 'warn', LOG_FORMAT: 'json' });
  const database = connectDatabase(scratch.url, { max: 20 });
  await applyMigrations(database);
  const queue = await startQueue({ url: scratch.url, schema: 'pgboss', log });
  const keyring = createKeyring(randomBytes(32));
  const connectionId = randomUUID();
  const [row] = await database.db
    .insert(connections)
    .values({ id: connectionId, vendor: 'zendesk', name: 'bench', settings: {}, credentialsEncrypted: encryptJson(keyring, {}, credentialsPlace(connectionId)) })
    .returning();
  if (!row) throw new Error('no connection');
  const secret = randomBytes(32).toString('base64url');
  await saveEndpoint(database.db, keyring, { connectionId: row.id, secret }, 'bench');

  const config = loadConfig({ DATABASE_URL: scratch.url });
  const full = createApp({ database, queue, log, config, keyring, artifacts: openArtifactStore(config) });
  const bare = new Hono().post('/webhooks/zendesk/:connectionId', (c) => c.json({ ok: true }));
  const fullServer = await listen(full.fetch);
  const bareServer = await listen(bare.fetch);
  const path = `/webhooks/zendesk/${row.id}`;
  const load = async (port: number) => {
    const result = await (autocannon as unknown as Loader)({
      url: `http://127.0.0.1:${port}${path}`,
      connections: CONNECTIONS,
      pipelining: 1,
      duration: DURATION_S,
      requests: signedRequests(secret),
    });
    return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, errors: result.errors + result.non2xx };
  };

  const runs = { bare: [] as Awaited<ReturnType<typeof load>>[], full: [] as Awaited<ReturnType<typeof load>>[] };
  for (let round = 0; round < ROUNDS; round++) {
    runs.bare.push(await load(bareServer.port));
    runs.full.push(await load(fullServer.port));
  }
  const counts = await database.db.execute<{ deliveries: number; jobs: number }>(
    sql`SELECT (SELECT count(*)::int FROM webhook_deliveries) AS deliveries, (SELECT count(*)::int FROM pgboss.job WHERE name IN ('draft.generate', 'triage.apply')) AS jobs`,
  );
  bareServer.close();
  fullServer.close();
  await queue.stop({ timeoutMs: 2_000 });
  await database.close();
  await scratch.done();

  const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
  const summary = (list: typeof runs.bare) => ({
    rps: mean(list.map((r) => r.rps)),
    p50: mean(list.map((r) => r.p50)),
    p99: mean(list.map((r) => r.p99)),
    errors: list.reduce((a, r) => a + r.errors, 0),
  });
  const b = summary(runs.bare);
  const f = summary(runs.full);
  const line = (name: string, s: typeof b) =>
    `${name.padEnd(34)} ${s.rps.toFixed(0).padStart(8)} req/s   p50 ${s.p50.toFixed(2)} ms   p99 ${s.p99.toFixed(2)} ms   errors ${s.errors}`;
  const stored = counts.rows[0];
  process.stdout.write(`${line('bare Hono 200 (baseline)', b)}\n${line('verified+deduped+enqueued webhooks', f)}\n`);
  process.stdout.write(`stored: ${stored?.deliveries ?? '?'} deliveries, ${stored?.jobs ?? '?'} jobs (2 per delivery)\n`);
  process.stdout.write(`ratio (webhooks / bare req/s): ${(f.rps / b.rps).toFixed(2)}   goal >= 0.50   (${ROUNDS}x${DURATION_S}s rounds, ${CONNECTIONS} connections)\n`);
}

