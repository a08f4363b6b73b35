import { bigint, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid, type AnyPgColumn } from 'drizzle-orm/pg-core';

export type DatasetTask = 'reply' | 'triage' | 'compliance' | 'preference';
/** `erased`: a GDPR erasure replaced this version by a successor (superseded_by) and deleted its files. */
export type DatasetVersionStatus = 'queued' | 'building' | 'ready' | 'failed' | 'erased';
export type DatasetVersionOrigin = 'build' | 'upload' | 'erasure';
export type DatasetSplit = 'train' | 'validation' | 'test';

/** A named recipe: which conversations, which task, and how to curate them (src/datasets/config.ts). */
export const datasets = pgTable('datasets', {
  id: uuid('id').primaryKey().defaultRandom(),
  name: text('name').notNull().unique(),
  task: text('task').$type<DatasetTask>().notNull(),
  /** The parsed DatasetConfig (defaults filled in); each version's manifest keeps the one it used. */
  config: jsonb('config').$type<Record<string, unknown>>().notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

/**
 * One frozen build of a dataset. Immutable once `ready`: its files are only ever deleted (erasure),
 * never rewritten; an erasure creates a successor version (parent_version_id) instead.
 */
export const datasetVersions = pgTable(
  'dataset_versions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    datasetId: uuid('dataset_id')
      .notNull()
      .references(() => datasets.id, { onDelete: 'cascade' }),
    version: integer('version').notNull(),
    origin: text('origin').$type<DatasetVersionOrigin>().notNull(),
    status: text('status').$type<DatasetVersionStatus>().notNull().default('queued'),
    /** SHA-256 over the split files' hashes: equal hashes mean byte-identical datasets. */
    contentHash: text('content_hash'),
    manifest: jsonb('manifest').$type<Record<string, unknown>>(),
    /** Counters while building, for progress displays. */
    progress: jsonb('progress').$type<Record<string, number>>().notNull().default({}),
    error: text('error'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    startedAt: timestamp('started_at', { withTimezone: true }),
    builtAt: timestamp('built_at', { withTimezone: true }),
    parentVersionId: uuid('parent_version_id').references((): AnyPgColumn => datasetVersions.id, { onDelete: 'set null' }),
    supersededBy: uuid('superseded_by').references((): AnyPgColumn => datasetVersions.id, { onDelete: 'set null' }),
    erasedAt: timestamp('erased_at', { withTimezone: true }),
  },
  (table) => [uniqueIndex('dataset_versions_number_idx').on(table.datasetId, table.version)],
);

/**
 * Lineage of every example: which conversation and messages it was made from, by its line in its
 * split file. The examples themselves live only in the JSONL artifacts (what training reads), not
 * in a second copy here: one copy to keep consistent and to erase, and the database stays small.
 * Lineage is what needs querying (erasure: "which versions hold this conversation?", diffs).
 * conversation_id has no foreign key: lineage must still name a conversation while an erasure
 * deletes it, and uploaded examples have none.
 */
export const datasetLineage = pgTable(
  'dataset_lineage',
  {
    versionId: uuid('version_id')
      .notNull()
      .references(() => datasetVersions.id, { onDelete: 'cascade' }),
    split: text('split').$type<DatasetSplit>().notNull(),
    /** 0-based line number in the split's JSONL file. */
    position: integer('position').notNull(),
    conversationId: bigint('conversation_id', { mode: 'number' }),
    /** Every message the example was built from, the target last. */
    messageIds: bigint('message_ids', { mode: 'number' }).array().notNull().default([]),
    /** Hash of the example's JSON line: equal in two versions means the same example. */
    exampleHash: text('example_hash').notNull(),
    /**
     * Preference pairs: the draft (src/db/schema/serving.ts) whose text is the rejected reply. No
     * foreign key, like conversation_id: lineage outlives the draft row.
     */
    draftId: uuid('draft_id'),
  },
  (table) => [
    primaryKey({ columns: [table.versionId, table.split, table.position] }),
    index('dataset_lineage_conversation_idx').on(table.conversationId),
    index('dataset_lineage_messages_idx').using('gin', table.messageIds),
  ],
);
