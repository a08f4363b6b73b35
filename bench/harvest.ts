/**
 * Harvest throughput and cost: conversations/s from a loopback vendor sandbox into Postgres (real
 * SDK, batches with their cursors in one transaction each), vs a raw COPY of the very same rows
 * into the same tables, measured in the same run on the same database (goal: ≥ 0.3 of COPY), and
 * the vendor requests the run recorded per 1,000 conversations (goal: within 10 % of the API
 * minimum). The sandboxes run with their rate limits lifted, so the numbers are the client's own.
 * `npm run bench -- harvest --json FILE` also writes {"<vendor>": {"ratio", "requests_per_1000"}}.
 * "hubspot" harvests tickets only (the API minimum's table counts tickets); "hubspot_inbox" the
 * default mix of inbox threads (one messages call each: HubSpot has no batch read for them) and tickets.
 */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { benchDatabase } from './database.ts';
import { startSandboxProcess } from '../integrations/sandbox-kit/process.ts';
import { SANDBOX_DEFAULTS as HUBSPOT } from '../integrations/hubspot/sandbox/index.ts';
import { SANDBOX_DEFAULTS as INTERCOM } from '../integrations/intercom/sandbox/index.ts';
import { DEFAULT_SANDBOX_CREDENTIALS as SALESFORCE } from '../integrations/salesforce/sandbox/auth.ts';
import { DEFAULT_CHANNELS as SLACK_CHANNELS, SANDBOX_BOT_TOKEN, SUPPORT_GROUP_ID } from '../integrations/slack/sandbox/index.ts';
import { SANDBOX_DEFAULTS } from '../integrations/zendesk/sandbox/index.ts';
import { createConnection } from '../src/connections/store.ts';
import { SETTINGS } from '../src/config.ts';
import { connectDatabase, type Database } from '../src/db/client.ts';
import { applyMigrations } from '../src/db/migrate.ts';
import { executeRun } from '../src/harvest/execute.ts';
import { createRun } from '../src/harvest/runs.ts';
import { createLogger } from '../src/log.ts';
import { createKeyring } from '../src/security/encryption.ts';

const TICKETS = Number(process.env.BENCH_TICKETS ?? 5_000);
/** Conversations per transaction: the hub's default (HARVEST_BATCH_SIZE), as a harvest runs it. */
const BATCH_SIZE = SETTINGS.HARVEST_BATCH_SIZE.schema.parse(process.env.HARVEST_BATCH_SIZE);


/**
 * Per bench row: the vendor, extra `tuneloop sandbox` options, and how to reach its sandbox once it
 * runs at `url`. HubSpot's five searches a second is known to the client by setting (no header says
 * it), so the lifted sandbox is told to the client the same way.
 */
const VENDORS: Record<string, { vendor?: string; sandbox?: string[]; settings: (url: string) => Record<string, unknown>; credentials: Record<string, unknown> }> = {
  zendesk: { settings: (url) => ({ baseUrl: url }), credentials: { type: 'api_token', email: SANDBOX_DEFAULTS.email, token: SANDBOX_DEFAULTS.apiToken } },
  hubspot: { sandbox: ['--inbox-threads', '0'], settings: (url) => ({ baseUrl: url, searchesPerSecond: 1000 }), credentials: { type: 'private_app', accessToken: HUBSPOT.privateAppToken } },
  hubspot_inbox: { vendor: 'hubspot', settings: (url) => ({ baseUrl: url, searchesPerSecond: 1000 }), credentials: { type: 'private_app', accessToken: HUBSPOT.privateAppToken } },
  intercom: { settings: (url) => ({ baseUrl: url }), credentials: { type: 'access_token', accessToken: INTERCOM.accessToken } },
  slack: {
    settings: (url) => ({ apiUrl: `${url}/api/`, channels: SLACK_CHANNELS.map((channel) => channel.id), agentUserGroup: SUPPORT_GROUP_ID }),
    credentials: { type: 'bot_token', token: SANDBOX_BOT_TOKEN },
  },
  salesforce: {
    settings: (url) => ({ instanceUrl: url }),
    credentials: { type: 'password', username: SALESFORCE.username, password: SALESFORCE.password, securityToken: SALESFORCE.securityToken },
  },
};

/** CSV field: quoted, quotes doubled; null as an unquoted empty field. */
function csv(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = typeof value === 'string' ? value : value instanceof Date ? value.toISOString() : Array.isArray(value) ? `{${value.map((v) => `"${String(v).replace(/["\\]/g, '\\$&')}"`).join(',')}}` : typeof value === 'object' ? JSON.stringify(value) : String(value);
  return `"${text.replace(/"/g, '""')}"`;
}

async function copyRows(client: pg.PoolClient, table: string, columns: string[], rows: unknown[][]): Promise<void> {
  const lines = rows.map((row) => `${row.map(csv).join(',')}\n`);
  await pipeline(Readable.from(lines), client.query(copyFrom(`COPY ${table} (${columns.join(', ')}) FROM STDIN WITH (FORMAT csv)`)));
}

/** Reads back what the harvest stored and COPYs the same rows in again under a second connection. */
async function copyBaseline(database: Database, fromConnection: string, toConnection: string): Promise<number> {
  const client = await database.pool.connect();
  try {
    const conversationColumns = ['id', 'connection_id', 'source', 'source_id', 'subject', 'status', 'priority', 'channel', 'language', 'tags', 'custom_fields', 'requester', 'assignee', 'organization_id', 'deleted', 'source_created_at', 'source_updated_at', 'content_hash', 'message_count'];
    const messageColumns = ['conversation_id', 'source_id', 'position', 'author_role', 'author', 'visibility', 'body', 'attachments', 'source_created_at'];
    const { rows: conversationRows } = await client.query(`SELECT ${conversationColumns.join(', ')} FROM conversations WHERE connection_id = $1 ORDER BY id`, [fromConnection]);
    const { rows: messageRows } = await client.query(
      `SELECT m.${messageColumns.join(', m.')} FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE c.connection_id = $1 ORDER BY m.id`,
      [fromConnection],
    );
    const { rows: seq } = await client.query<{ next: string }>(`SELECT setval('conversations_id_seq', (SELECT max(id) FROM conversations) + $1) - $1 AS next`, [conversationRows.length + 1]);
    const offset = Number(seq[0]?.next) - Number(conversationRows[0]?.id) + 1;
    const conversations = conversationRows.map((row) => conversationColumns.map((column) => (column === 'id' ? Number(row.id) + offset : column === 'connection_id' ? toConnection : row[column])));
    const messages = messageRows.map((row) => messageColumns.map((column) => (column === 'conversation_id' ? Number(row.conversation_id) + offset : row[column])));

    const started = performance.now();
    await client.query('BEGIN');
    await copyRows(client, 'conversations', conversationColumns, conversations);
    await copyRows(client, 'messages', messageColumns, messages);
    await client.query('COMMIT');
    return performance.now() - started;
  } finally {
    client.release();
  }
}

interface Result {
  ratio: number;
  /** null: the connector does not count its requests (Slack's, outside the API-minimum work). */
  requests_per_1000: number | null;
}

async function benchVendor(database: Database, name: string): Promise<Result> {
  const spec = VENDORS[name];
  if (!spec) throw new Error(`no bench set-up for ${name}`);
  const vendor = spec.vendor ?? name;
  // The sandbox runs in its own process, as a vendor would: its CPU is not charged to the harvest.
  const server = await startSandboxProcess(vendor, { seed: 5, items: TICKETS, rateLimits: false, ...(spec.sandbox ? { extra: spec.sandbox } : {}) });
  try {
    const keyring = createKeyring(randomBytes(32));
    const connection = (name: string) => createConnection(database.db, keyring, { vendor, name, settings: spec.settings(server.url), credentials: spec.credentials, schedule: null }, 'bench', { allowedHosts: ['127.0.0.1'] });
    const harvested = await connection(`bench-${name}-harvest`);
    const copied = await connection(`bench-${name}-copy`);

    const { run } = await createRun(database.db, harvested.id, 'manual', null);
    const log = createLogger({ LOG_LEVEL: 'warn', LOG_FORMAT: 'json' });
    const started = performance.now();
    const result = await executeRun({ database, keyring, log, batchSize: BATCH_SIZE }, run.id, { lastAttempt: true });
    const harvestMs = performance.now() - started;
    if (result?.status !== 'succeeded') throw new Error(`harvest ${result?.status}: ${result?.error}`);
    const copyMs = await copyBaseline(database, harvested.id, copied.id);

    const rate = (ms: number) => (TICKETS / ms) * 1000;
    const ratio = rate(harvestMs) / rate(copyMs);
    const perThousand = result.vendorRequests > 0 ? (result.vendorRequests / result.conversationsSeen) * 1000 : null;
    const label = `${name} harvest (SDK → sandbox → Postgres)`.padEnd(52);
    process.stdout.write(`${label}${rate(harvestMs).toFixed(0).padStart(7)} conversations/s  (${TICKETS} conversations, ${result.messagesWritten} messages, ${(harvestMs / 1000).toFixed(2)} s)\n`);
    process.stdout.write(`${'raw COPY of the same rows (baseline)'.padEnd(52)}${rate(copyMs).toFixed(0).padStart(7)} conversations/s  (${(copyMs / 1000).toFixed(2)} s)\n`);
    process.stdout.write(`ratio (harvest / COPY): ${ratio.toFixed(3)}   goal >= 0.3\n`);
    process.stdout.write(perThousand === null ? 'vendor requests: not counted by this connector\n\n' : `vendor requests: ${result.vendorRequests}, ${perThousand.toFixed(1)} per 1,000 conversations\n\n`);
    return { ratio: Number(ratio.toFixed(3)), requests_per_1000: perThousand === null ? null : Number(perThousand.toFixed(1)) };
  } finally {
    await server.close();
  }
}

export async function main(): Promise<Record<string, unknown>> {
  const db = await benchDatabase();
  const database = connectDatabase(db.url);
  try {
    await applyMigrations(database);
    const only = process.env.BENCH_VENDORS?.split(',');
    const results: Record<string, Result> = {};
    for (const name of Object.keys(VENDORS)) if (!only || only.includes(name)) results[name] = await benchVendor(database, name);
    return results;
  } finally {
    await database.close();
    await db.done();
  }
}
