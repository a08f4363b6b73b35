/** Shared set-up for webhook tests: a hub with a real database and queue, and signed requests. */
import { randomBytes, randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { createApp } from '../../src/app.ts';
import type { AppDeps } from '../../src/deps.ts';
import { connections } from '../../src/db/schema/index.ts';
import { startQueue, type Queue } from '../../src/queue/queue.ts';
import { encryptJson } from '../../src/security/encryption.ts';
import { credentialsPlace } from '../../src/connections/open.ts';
import type { Source } from '../../integrations/types.ts';
import { saveEndpoint } from '../../src/webhooks/secrets.ts';
import { sign } from '../support/sign.ts';
import { testDeps } from '../support/app.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { captureLogger } from '../support/logger.ts';

export interface Hub {
  database: TestDatabase;
  queue: Queue;
  deps: AppDeps;
  app: ReturnType<typeof createApp>;
  close(): Promise<void>;
}

export async function startHub(): Promise<Hub> {
  const database = await createTestDatabase();
  const queue = await startQueue({ url: database.url, schema: 'pgboss', log: captureLogger().log });
  const deps = testDeps(database, queue);
  return {
    database,
    queue,
    deps,
    app: createApp(deps),
    async close() {
      await queue.stop({ timeoutMs: 2_000 });
      await database.drop();
    },
  };
}

/** A connection of `vendor` with a fresh webhook secret; credentials are irrelevant to webhooks. */
export async function webhookConnection(hub: Hub, vendor: Source): Promise<{ id: string; secret: string }> {
  const secret = randomBytes(24).toString('base64');
  const id = randomUUID();
  const [row] = await hub.database.db
    .insert(connections)
    .values({ id, vendor, name: `${vendor}-${id.slice(0, 8)}`, settings: {}, credentialsEncrypted: encryptJson(hub.deps.keyring, {}, credentialsPlace(id)) })
    .returning();
  if (!row) throw new Error('no connection');
  await saveEndpoint(hub.database.db, hub.deps.keyring, { connectionId: row.id, secret }, 'test');
  return { id: row.id, secret };
}

/** Jobs per name for one connection, straight from pg-boss's table. */
export async function jobCounts(hub: Hub, connectionId: string): Promise<Record<string, number>> {
  const result = await hub.database.db.execute<{ name: string; count: number }>(
    sql`SELECT name, count(*)::int AS count FROM pgboss.job WHERE data->>'connectionId' = ${connectionId} GROUP BY name ORDER BY name`,
  );
  return Object.fromEntries(result.rows.map((row) => [row.name, row.count]));
}

export async function deliveryCount(hub: Hub, connectionId: string): Promise<number> {
  const result = await hub.database.db.execute<{ count: number }>(sql`SELECT count(*)::int AS count FROM webhook_deliveries WHERE connection_id = ${connectionId}`);
  return result.rows[0]?.count ?? -1;
}

export function zendeskRequest(secret: string, body: string, options: { invocationId?: string; timestamp?: string; signature?: string } = {}): RequestInit {
  const timestamp = options.timestamp ?? new Date().toISOString();
  return {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-zendesk-webhook-invocation-id': options.invocationId ?? randomUUID(),
      'x-zendesk-webhook-signature-timestamp': timestamp,
      'x-zendesk-webhook-signature': options.signature ?? sign.zendesk(secret, timestamp, body),
    },
    body,
  };
}

export function hubspotRequest(secret: string, url: string, body: string, options: { timestampMs?: number } = {}): RequestInit {
  const timestamp = String(options.timestampMs ?? Date.now());
  return {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-hubspot-request-timestamp': timestamp, 'x-hubspot-signature-v3': sign.hubspotV3(secret, 'POST', url, body, timestamp) },
    body,
  };
}

export function salesforceRequest(secret: string, body: string, options: { timestampS?: number; bearer?: boolean } = {}): RequestInit {
  if (options.bearer) return { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${secret}` }, body };
  const timestamp = String(options.timestampS ?? Math.floor(Date.now() / 1000));
  return {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-tuneloop-timestamp': timestamp, 'x-tuneloop-signature': sign.salesforce(secret, timestamp, body) },
    body,
  };
}
