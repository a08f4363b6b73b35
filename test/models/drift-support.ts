/** Data for the drift and retraining tests: bitext support messages with intents, and generated German ones. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import type { ArtifactStore } from '../../src/artifacts/index.ts';
import type { Db } from '../../src/db/client.ts';
import { connections, conversations, datasets, datasetVersions, messages } from '../../src/db/schema/index.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface IntentRow {
  text: string;
  intent: string;
}

/** The fixture's rows in a fixed shuffled order (the file is sorted by intent). */
export function bitextRows(): IntentRow[] {
  const records = parse(readFileSync(join(ROOT, 'fixtures', 'bitext_customer_support.csv')), { columns: true }) as Array<Record<string, string>>;
  const rows = records.map((row) => ({ text: row.instruction ?? '', intent: row.intent ?? '' })).filter((row) => row.text && row.intent);
  // A fixed permutation: every slice holds every intent.
  let seed = 42;
  const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
  for (let i = rows.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [rows[i], rows[j]] = [rows[j] as IntentRow, rows[i] as IntentRow];
  }
  return rows;
}

const GERMAN_OPENINGS = [
  'Guten Tag, ich habe ein Problem mit meiner Bestellung',
  'Hallo, die Rechnung für meinen Vertrag ist leider falsch',
  'Ich kann mich seit gestern nicht mehr in mein Kundenkonto einloggen',
  'Meine Lieferung ist immer noch nicht angekommen',
  'Ich möchte mein Abonnement kündigen und das Geld zurückbekommen',
];
const GERMAN_ENDINGS = [
  'und ich bitte Sie um eine schnelle Antwort, danke.',
  'können Sie mir bitte helfen? Ich warte schon seit einer Woche.',
  'das ist wirklich ärgerlich, weil ich die Ware dringend für die Arbeit brauche.',
  'bitte melden Sie sich bei mir, sobald Sie mehr wissen.',
];

/** German customer messages, generated: another language and vocabulary than the training set. */
export function germanRows(count: number): IntentRow[] {
  return Array.from({ length: count }, (_, i) => ({ text: `${GERMAN_OPENINGS[i % GERMAN_OPENINGS.length]}, ${GERMAN_ENDINGS[Math.floor(i / GERMAN_OPENINGS.length) % GERMAN_ENDINGS.length]}`, intent: 'track_order' }));
}

export async function createConnection(db: Db, name: string): Promise<string> {
  const [row] = await db.insert(connections).values({ vendor: 'zendesk', name, settings: {}, credentialsEncrypted: 'unused' }).returning();
  return row!.id;
}

/** One conversation per row, its first customer message `at`, tagged `intent:<intent>`; with `agentReply`, answered by one agent reply. */
export async function storeConversations(db: Db, connectionId: string, rows: IntentRow[], at: Date, prefix: string, agentReply?: string): Promise<void> {
  for (const [i, row] of rows.entries()) {
    const [conversation] = await db
      .insert(conversations)
      .values({ connectionId, source: 'zendesk', sourceId: `${prefix}-${i}`, subject: 'Help', tags: [`intent:${row.intent}`], sourceCreatedAt: at, sourceUpdatedAt: at, contentHash: `${prefix}-${i}`, messageCount: 1 })
      .returning();
    await db.insert(messages).values({ conversationId: conversation!.id, sourceId: `${prefix}-${i}-m`, position: 0, authorRole: 'customer', visibility: 'public', body: row.text, sourceCreatedAt: at });
    if (agentReply) await db.insert(messages).values({ conversationId: conversation!.id, sourceId: `${prefix}-${i}-r`, position: 1, authorRole: 'agent', visibility: 'public', body: agentReply, sourceCreatedAt: at });
  }
}

const line = (row: IntentRow) => JSON.stringify({ messages: [{ role: 'system', content: 'Triage the ticket.' }, { role: 'user', content: `Subject: Help\n\n${row.text}` }, { role: 'assistant', content: JSON.stringify({ intent: row.intent }) }] });

/** A ready triage dataset version whose split files hold `train` and `test`, reading from the connection. */
export async function storeTriageVersion(db: Db, store: ArtifactStore, connectionId: string, name: string, train: IntentRow[], test: IntentRow[]): Promise<{ datasetId: string; versionId: string }> {
  const config = { connections: [connectionId], labels: { intent: { source: 'tag_prefix', prefix: 'intent:' } } };
  const [dataset] = await db.insert(datasets).values({ name, task: 'triage', config }).returning();
  const prefix = `datasets/${dataset!.id}/v1/`;
  await store.put(`${prefix}train.jsonl`, `${train.map(line).join('\n')}\n`);
  await store.put(`${prefix}test.jsonl`, `${test.map(line).join('\n')}\n`);
  const manifest = { dataset: { id: dataset!.id, name, task: 'triage' }, splits: { train: { key: `${prefix}train.jsonl`, examples: train.length }, test: { key: `${prefix}test.jsonl`, examples: test.length } }, config };
  const [version] = await db.insert(datasetVersions).values({ datasetId: dataset!.id, version: 1, origin: 'build', status: 'ready', manifest, builtAt: new Date() }).returning();
  return { datasetId: dataset!.id, versionId: version!.id };
}
