/**
 * The database step of a GDPR erasure (Art. 17; the steps are run by run.ts): everything of one
 * data subject goes, found by email, by the vendor's person id, or by name and email. In one
 * transaction: the conversations they requested (with all their messages), their
 * messages in other conversations, and messages that mention their email are deleted; every ready
 * dataset version holding an example made from any of those is replaced by a successor without
 * them (successor.ts); builds running meanwhile are failed (their snapshot may hold the
 * subject); an audit record names the subject only by a hash. After the commit, the old versions'
 * files are deleted by the files step. Before anything is deleted, what the later steps need is
 * gathered (`found`): the subject's emails, names and phones for the residue scan, the Slack alert
 * messages and vendor notes to redact, the OpenAI files of runs on replaced versions; the caller
 * stores it (sealed) in the same transaction, with the suppression hashes and the step's mark.
 */
import { createHash } from 'node:crypto';
import { and, eq, inArray, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { ArtifactStore } from '../artifacts/index.ts';
import { recordAudit } from '../audit.ts';
import type { Database, Tx } from '../db/client.ts';
import { conversations, datasets, datasetVersions, fineTuningJobs, messages, models } from '../db/schema/index.ts';
import type { Logger } from '../log.ts';
import { findOutsideCopies, type OutsideCopies } from './found.ts';
import { buildSuccessor } from './successor.ts';
import type { Split } from '../datasets/types.ts';
import { lockAgainstErasure, versionPrefix } from '../datasets/versions.ts';
import { eraseServingCopies } from './serving-copies.ts';
import { deleteFiles, splitKey } from '../datasets/write.ts';
import { hashesOf, emailHash, personHash } from './suppression.ts';
import { defaultScrubber } from '../datasets/pii/default-scrubber.ts';

export const ErasureRequest = z
  .object({
    email: z.email({ error: 'must be an email address' }).max(320).optional(),
    /** The vendor's id of the person (Zendesk user id, Salesforce Contact id, …). */
    sourceId: z.string().trim().min(1).max(200).optional(),
    /** Limit a sourceId to one connection (ids of different vendors may collide). */
    connectionId: z.uuid().optional(),
    /** With email: the person's name, also searched for (and redacted) everywhere. */
    name: z.string().trim().min(2).max(200).optional(),
  })
  .strict()
  .refine((r) => (r.email === undefined) !== (r.sourceId === undefined), 'give exactly one of email or sourceId')
  .refine((r) => r.name === undefined || r.email !== undefined, 'a name goes with an email (name + email)');
export type ErasureRequest = z.infer<typeof ErasureRequest>;

export type SubjectBy = 'email' | 'source_id' | 'name_email';

export interface DatabaseReport {
  conversations: number;
  messages: number;
  versions: Array<{ dataset: string; datasetId: string; from: number; to: number; removedExamples: number }>;
  buildsFailed: number;
  /** Models trained on a replaced version: flagged for retraining, promotion blocked. */
  modelsFlagged: number;
  /** Write-back rows (drafts, final replies) of their tickets or naming their email. */
  draftsDeleted: number;
  /** Human-review pairs built from test examples this erasure removed. */
  reviewPairsDeleted: number;
  /** Compliance alerts on their messages (with their evidence). */
  alertsDeleted: number;
}

/** What the later steps need, gathered before the rows go. Sealed in the erasure row while it runs. */
export interface Found extends OutsideCopies {
  /** Emails, names and phones of the subject: what the residue and file scans look for. */
  terms: string[];
  suppressions: string[];
  /** Prefixes of replaced versions' files in the artifact store. */
  replacedPrefixes: string[];
  /** Fine-tuning runs on replaced versions: their local copies of the training data go. */
  runsWithCopies: string[];
  /** Models trained on replaced versions, with their task and the successor version to retrain on. */
  flaggedModels: Array<{ id: string; task: string; successorVersionId: string | null }>;
}

export interface DatabaseDeps {
  database: Database;
  store: ArtifactStore;
  log: Logger;
}

const ids = (values: number[]) => sql`${sql.param(values)}::bigint[]`;

async function findSubject(tx: Tx, request: ErasureRequest): Promise<{ conversationIds: number[]; messageIds: number[] }> {
  const scope = request.connectionId ? eq(conversations.connectionId, request.connectionId) : undefined;
  const email = request.email?.toLowerCase();
  const requester = email ? sql`lower(${conversations.requester}->>'email') = ${email}` : sql`${conversations.requester}->>'id' = ${request.sourceId}`;
  const owned = await tx.select({ id: conversations.id }).from(conversations).where(and(scope, requester));
  const conversationIds = owned.map((row) => row.id);
  const author = email
    ? sql`(lower(${messages.author}->>'email') = ${email} OR position(${email} in lower(${messages.body})) > 0)`
    : sql`${messages.author}->>'id' = ${request.sourceId}`;
  const elsewhere = await tx
    .select({ id: messages.id })
    .from(messages)
    .innerJoin(conversations, eq(conversations.id, messages.conversationId))
    .where(and(scope, author, sql`NOT (${messages.conversationId} = ANY(${ids(conversationIds)}))`));
  return { conversationIds, messageIds: elsewhere.map((row) => row.id) };
}

/** The subject as a hash: the report and the audit trail must not keep what was erased. */
export function subjectOf(request: ErasureRequest): { by: SubjectBy; sha256: string } {
  const by: SubjectBy = request.email ? (request.name ? 'name_email' : 'email') : 'source_id';
  const identity = request.email ? request.email.toLowerCase() : `${request.connectionId ?? '*'}:${request.sourceId}`;
  return { by, sha256: createHash('sha256').update(`${by === 'source_id' ? 'source_id' : 'email'}:${identity}`).digest('hex') };
}

/** Deletes files of erased versions that a crash between commit and cleanup left behind. */
export async function sweepErasedFiles(database: Database, store: ArtifactStore): Promise<number> {
  const erased = await database.db.select({ id: datasetVersions.id, datasetId: datasetVersions.datasetId }).from(datasetVersions).where(eq(datasetVersions.status, 'erased'));
  let deleted = 0;
  for (const version of erased) deleted += await deleteFiles(store, versionPrefix(version.datasetId, version.id));
  return deleted;
}


/**
 * Erases the subject from the database in one transaction; `commit` runs last inside it (the
 * caller records the step there). Dataset files written for successors are removed again when the
 * transaction fails, so a retry starts clean.
 */
export async function eraseInDatabase(
  deps: DatabaseDeps,
  request: ErasureRequest,
  erasureId: string,
  actor: string,
  commit: (tx: Tx, report: DatabaseReport, found: Found) => Promise<void>,
): Promise<{ report: DatabaseReport; found: Found }> {
  const { database, store } = deps;
  const subject = subjectOf(request);
  const written: string[] = [];
  try {
    return await database.db.transaction(async (tx) => {
      await lockAgainstErasure(tx);
      const { conversationIds, messageIds } = await findSubject(tx, request);
      const hits = await tx.execute<{ version_id: string; split: Split; position: number }>(sql`
        SELECT l.version_id, l.split, l.position FROM dataset_lineage l JOIN dataset_versions v ON v.id = l.version_id
        WHERE v.status = 'ready' AND (l.conversation_id = ANY(${ids(conversationIds)}) OR l.message_ids && ${ids(messageIds)})`);
      const byVersion = new Map<string, Record<Split, Set<number>>>();
      for (const hit of hits.rows) {
        let removed = byVersion.get(hit.version_id);
        if (!removed) byVersion.set(hit.version_id, (removed = { train: new Set(), validation: new Set(), test: new Set() }));
        removed[hit.split].add(hit.position);
      }
      const failed = await tx
        .update(datasetVersions)
        .set({ status: 'failed', error: 'a GDPR erasure ran while this version was built; build a new version' })
        .where(and(eq(datasetVersions.status, 'building'), eq(datasetVersions.origin, 'build')))
        .returning({ id: datasetVersions.id });

      const versions: DatabaseReport['versions'] = [];
      const successorOf = new Map<string, string>();
      const replacedPrefixes: string[] = [];
      const affected = byVersion.size ? await tx.select().from(datasetVersions).where(inArray(datasetVersions.id, [...byVersion.keys()])).orderBy(datasetVersions.datasetId, datasetVersions.version) : [];
      for (const old of affected) {
        const [dataset] = await tx.select().from(datasets).where(eq(datasets.id, old.datasetId));
        if (!dataset) continue;
        const successor = await buildSuccessor(tx, store, dataset, old, byVersion.get(old.id) as Record<Split, Set<number>>, erasureId, written);
        successorOf.set(old.id, successor.version.id);
        replacedPrefixes.push(versionPrefix(dataset.id, old.id));
        const removedExamples = successor.removed.train + successor.removed.validation + successor.removed.test;
        versions.push({ dataset: dataset.name, datasetId: dataset.id, from: old.version, to: successor.version.version, removedExamples });
      }

      const replacedIds = affected.map((version) => version.id);
      const flagged = replacedIds.length
        ? await tx
            .update(models)
            .set({ retrainRequiredAt: new Date(), retrainReason: `GDPR erasure ${erasureId} removed examples from the dataset version it was trained on` })
            .where(inArray(models.datasetVersionId, replacedIds))
            .returning({ id: models.id, task: models.task, datasetVersionId: models.datasetVersionId })
        : [];
      const trainedOn = replacedIds.length ? await tx.select({ id: fineTuningJobs.id }).from(fineTuningJobs).where(inArray(fineTuningJobs.datasetVersionId, replacedIds)) : [];

      // Gathered before the rows go: the later steps find their places through them.
      const outside = await findOutsideCopies(tx, { conversationIds, messageIds, replacedVersionIds: replacedIds });
      const terms = await subjectTerms(tx, request, conversationIds, messageIds);
      const suppressions = await suppressionHashes(tx, request, conversationIds);

      // Before the conversations go: serving's copies are found through them.
      const removedTests = affected.map((old) => ({ testKey: splitKey(versionPrefix(old.datasetId, old.id), 'test'), positions: [...(byVersion.get(old.id)?.test ?? [])] }));
      const serving = await eraseServingCopies(tx, { conversationIds, email: request.email ? request.email.toLowerCase() : null }, removedTests);
      const [counted] = await tx.select({ n: sql<number>`count(*)::int` }).from(messages).where(sql`${messages.conversationId} = ANY(${ids(conversationIds)})`);
      if (conversationIds.length) await tx.delete(conversations).where(sql`${conversations.id} = ANY(${ids(conversationIds)})`);
      if (messageIds.length) await tx.delete(messages).where(sql`${messages.id} = ANY(${ids(messageIds)})`);
      const report: DatabaseReport = {
        conversations: conversationIds.length,
        messages: (counted?.n ?? 0) + messageIds.length,
        versions,
        buildsFailed: failed.length,
        modelsFlagged: flagged.length,
        draftsDeleted: serving.drafts,
        reviewPairsDeleted: serving.reviewPairs,
        alertsDeleted: outside.alerts,
      };
      const found: Found = {
        ...outside,
        terms,
        suppressions,
        replacedPrefixes,
        runsWithCopies: trainedOn.map((job) => job.id),
        flaggedModels: flagged.map((m) => ({ id: m.id, task: m.task, successorVersionId: m.datasetVersionId ? (successorOf.get(m.datasetVersionId) ?? null) : null })),
      };
      await recordAudit(tx, {
        actor,
        action: 'gdpr.erasure',
        subjectType: 'data_subject',
        subjectId: subject.sha256,
        details: { erasureId, by: subject.by, conversations: report.conversations, messages: report.messages, versions, buildsFailed: failed.length, modelsFlagged: flagged.map((m) => m.id) },
      });
      await commit(tx, report, found);
      return { report, found };
    });
  } catch (error) {
    for (const prefix of written) await deleteFiles(store, prefix);
    throw error;
  }
}

/** The subject's emails, names and phones, as the residue and file scans look for them. */
async function subjectTerms(tx: Tx, request: ErasureRequest, conversationIds: number[], messageIds: number[]): Promise<string[]> {
  const terms = new Set<string>();
  const add = (value: string | null | undefined) => {
    const v = value?.trim();
    if (v && v.length >= 4) terms.add(v);
  };
  add(request.email?.toLowerCase());
  add(request.name);
  const people = await tx.execute<{ email: string | null; name: string | null }>(sql`
    SELECT requester->>'email' AS email, requester->>'name' AS name FROM conversations WHERE id = ANY(${ids(conversationIds)})
    UNION SELECT author->>'email', author->>'name' FROM messages WHERE id = ANY(${ids(messageIds)})
      OR (conversation_id = ANY(${ids(conversationIds)}) AND author_role = 'customer')`);
  for (const person of people.rows) {
    add(person.email?.toLowerCase());
    add(person.name);
  }
  // Phones they wrote in their own messages: found by the scrubber's phone detector.
  const bodies = await tx.execute<{ body: string }>(sql`
    SELECT body FROM messages WHERE (conversation_id = ANY(${ids(conversationIds)}) AND author_role = 'customer') OR id = ANY(${ids(messageIds)})`);
  for (const { body } of bodies.rows) for (const span of phoneSpans(body)) add(span);
  return [...terms];
}

async function suppressionHashes(tx: Tx, request: ErasureRequest, conversationIds: number[]): Promise<string[]> {
  const hashes = new Set<string>();
  if (request.email) hashes.add(emailHash(request.email));
  if (request.sourceId && request.connectionId) hashes.add(personHash(request.connectionId, request.sourceId));
  const requesters = await tx.execute<{ connection_id: string; id: string | null; email: string | null }>(sql`
    SELECT connection_id::text, requester->>'id' AS id, requester->>'email' AS email FROM conversations WHERE id = ANY(${ids(conversationIds)})`);
  for (const row of requesters.rows) for (const hash of hashesOf(row.connection_id, row)) hashes.add(hash);
  return [...hashes];
}

function phoneSpans(text: string): string[] {
  return defaultScrubber()
    .detect(text)
    .filter((span) => span.type === 'PHONE')
    .map((span) => span.value);
}
