/** Shared set-up for dataset tests: sandbox conversations harvested into Postgres, an artifact store, reading splits back. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import { createZendeskSandbox, SANDBOX_DEFAULTS, type ZendeskSandbox } from '../../integrations/zendesk/sandbox/index.ts';
import { INTENT_FIELD_ID } from '../../integrations/zendesk/sandbox/store.ts';
import { openArtifactStore, type ArtifactStore } from '../../src/artifacts/index.ts';
import type { Database } from '../../src/db/client.ts';
import { buildVersion } from '../../src/datasets/build.ts';
import { createDataset, createVersion, type NewDataset } from '../../src/datasets/versions.ts';
import { SPLITS, type Split } from '../../src/datasets/types.ts';
import type { ConnectionRow } from '../../src/connections/store.ts';
import { addConnection, harvestNow } from '../support/harvest.ts';
import { captureLogger } from '../support/logger.ts';

export interface HarvestedSandbox {
  sandbox: ZendeskSandbox;
  connection: ConnectionRow;
  url: string;
  close(): Promise<void>;
}

/** A Zendesk sandbox of `tickets` real-data tickets, harvested into the database through the real connector. */
export async function harvestSandbox(database: Database, options: { seed: number; tickets: number; name: string }): Promise<HarvestedSandbox> {
  const sandbox = createZendeskSandbox({ seed: options.seed, tickets: options.tickets });
  const server = await sandbox.listen();
  const connection = await addConnection(database, {
    vendor: 'zendesk',
    name: options.name,
    settings: { baseUrl: server.url },
    credentials: { type: 'api_token', email: SANDBOX_DEFAULTS.email, token: SANDBOX_DEFAULTS.apiToken },
  });
  const run = await harvestNow(database, connection.id, 500);
  if (run?.status !== 'succeeded') throw new Error(`sandbox harvest ${run?.status}: ${run?.error}`);
  return { sandbox, connection, url: server.url, close: () => server.close() };
}

export function tempHome(): { home: string; store: ArtifactStore; remove(): void } {
  const home = mkdtempSync(join(tmpdir(), 'tuneloop-datasets-'));
  return { home, store: openArtifactStore({ TUNELOOP_HOME: home }), remove: () => rmSync(home, { recursive: true, force: true }) };
}

export async function createAndBuild(database: Database, store: ArtifactStore, input: NewDataset) {
  const dataset = await createDataset(database.db, input, 'test');
  return { dataset, version: await buildNext(database, store, dataset.id) };
}

export async function buildNext(database: Database, store: ArtifactStore, datasetId: string) {
  const queued = await createVersion(database.db, datasetId, 'build');
  const version = await buildVersion({ database, store, log: captureLogger().log }, queued.id);
  if (!version) throw new Error('version vanished');
  return version;
}

export async function readSplit(store: ArtifactStore, key: string): Promise<string[]> {
  const stream = await store.get(key);
  if (!stream) throw new Error(`no artifact ${key}`);
  return (await text(stream)).split('\n').filter(Boolean);
}

export async function readAllSplits(store: ArtifactStore, manifest: { splits: Record<Split, { key: string }> }): Promise<Record<Split, string[]>> {
  const out = {} as Record<Split, string[]>;
  for (const split of SPLITS) out[split] = await readSplit(store, manifest.splits[split].key);
  return out;
}

/** Adds a solved ticket with a customer message and an agent's public reply to a running sandbox. */
export function addSolvedTicket(
  sandbox: ZendeskSandbox,
  input: { requester: { name: string; email: string }; subject: string; customer: string; reply: string; intent?: string },
): number {
  const { store } = sandbox;
  const agent = [...store.users.values()].find((u) => u.role === 'agent' && u.id !== store.botUserId && u.id !== store.apiUserId);
  if (!agent) throw new Error('sandbox has no agent');
  const ticket = store.addTicket({
    subject: input.subject,
    body: input.customer,
    requester: input.requester,
    status: 'solved',
    priority: 'normal',
    ...(input.intent ? { customFields: [{ id: INTENT_FIELD_ID, value: input.intent }] } : {}),
  });
  ticket.assigneeId = agent.id;
  store.addComment(ticket, { authorId: agent.id, body: input.reply, public: true, channel: 'web' });
  return ticket.id;
}

/** Every file in the artifact store, as text. */
export async function allArtifactText(store: ArtifactStore): Promise<string> {
  const parts: string[] = [];
  for (const key of await store.list('')) parts.push(await readSplit(store, key).then((lines) => lines.join('\n')));
  return parts.join('\n');
}

/**
 * For the few dozen examples of a test dataset: split by conversation with a larger test share.
 * Groups are scoped by connection (a new id in every test run), so with the default requester
 * grouping a small dataset's test split is empty in some runs.
 */
export const SMALL_DATASET_SPLIT = { train: 0.6, validation: 0.1, test: 0.3, groupBy: 'conversation' as const };
