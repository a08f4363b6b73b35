/**
 * GDPR erasure (Art. 17): everything of one data subject goes, found by email or by the vendor's
 * person id. In one transaction: the conversations they requested (with all their messages), their
 * messages in other conversations, and messages that mention their email are deleted; every ready
 * dataset version holding an example made from any of those is replaced by a successor without
 * them (successor.ts); builds running meanwhile are failed (their snapshot may hold the
 * subject); an audit record names the subject only by a hash. After the commit, the old versions'
 * files are deleted. Files of erased versions left by a crash are swept at the start of the next erasure.
 */
import { createHash, randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { and, eq, inArray, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { ArtifactStore } from '../artifacts/index.ts';
import { recordAudit } from '../audit.ts';
import type { Database, Tx } from '../db/client.ts';
import { conversations, datasets, datasetVersions, fineTuningJobs, messages, models } from '../db/schema/index.ts';
import type { Logger } from '../log.ts';
import { runDir } from '../training/worker/run-config.ts';
import { buildSuccessor } from './successor.ts';
import type { Split } from '../datasets/types.ts';
import { lockAgainstErasure, versionPrefix } from '../datasets/versions.ts';
import { eraseServingCopies } from './serving-copies.ts';
import { deleteFiles, splitKey } from '../datasets/write.ts';

export const ErasureRequest = z
  .object({
    email: z.email({ error: 'must be an email address' }).max(320).optional(),
    /** The vendor's id of the person (Zendesk user id, Salesforce Contact id, …). */
    sourceId: z.string().trim().min(1).max(200).optional(),
    /** Limit a sourceId to one connection (ids of different vendors may collide). */
    connectionId: z.uuid().optional(),
  })
  .strict()
  .refine((r) => (r.email === undefined) !== (r.sourceId === undefined), 'give exactly one of email or sourceId');
export type ErasureRequest = z.infer<typeof ErasureRequest>;

export interface ErasureReport {
  erasureId: string;
  at: string;
  /** The subject only as a hash: the report and the audit trail must not keep what was erased. */
  subject: { by: 'email' | 'source_id'; sha256: string };
  conversations: number;
  messages: number;
  versions: Array<{ dataset: string; datasetId: string; from: number; to: number; removedExamples: number }>;
  buildsFailed: number;
  filesDeleted: number;
  /** Models trained on a replaced version: flagged for retraining. */
  modelsFlagged: number;
  /** Fine-tuning runs whose local copy of the training data was deleted. */
  trainingDataCopiesDeleted: number;
  /** Write-back rows (drafts, final replies) of their tickets or naming their email. */
  draftsDeleted: number;
  /** Human-review pairs built from test examples this erasure removed. */
  reviewPairsDeleted: number;
}

export interface ErasureDeps {
  database: Database;
  store: ArtifactStore;
  log: Logger;
  /** TUNELOOP_HOME: fine-tuning runs keep a copy of their training data under runs/<job>/data. */
  home: string;
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

/** Deletes files of erased versions that a crash between commit and cleanup left behind. */
async function sweepErasedFiles(database: Database, store: ArtifactStore): Promise<number> {
  const erased = await database.db.select({ id: datasetVersions.id, datasetId: datasetVersions.datasetId }).from(datasetVersions).where(eq(datasetVersions.status, 'erased'));
  let deleted = 0;
  for (const version of erased) deleted += await deleteFiles(store, versionPrefix(version.datasetId, version.id));
  return deleted;
}

export async function eraseSubject(deps: ErasureDeps, input: ErasureRequest, actor: string): Promise<ErasureReport> {
  const request = ErasureRequest.parse(input);
  const { database, store } = deps;
  const erasureId = randomUUID();
  const by = request.email ? 'email' : 'source_id';
  const identity = request.email ? request.email.toLowerCase() : `${request.connectionId ?? '*'}:${request.sourceId}`;
  const subject = { by, sha256: createHash('sha256').update(`${by}:${identity}`).digest('hex') } as const;
  let filesDeleted = await sweepErasedFiles(database, store);
  const written: string[] = [];
  const replaced: string[] = [];
  const runsWithCopies: string[] = [];
  let report: ErasureReport;
  try {
    report = await database.db.transaction(async (tx) => {
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

      const versions: ErasureReport['versions'] = [];
      const affected = byVersion.size ? await tx.select().from(datasetVersions).where(inArray(datasetVersions.id, [...byVersion.keys()])).orderBy(datasetVersions.datasetId, datasetVersions.version) : [];
      for (const old of affected) {
        const [dataset] = await tx.select().from(datasets).where(eq(datasets.id, old.datasetId));
        if (!dataset) continue;
        const successor = await buildSuccessor(tx, store, dataset, old, byVersion.get(old.id) as Record<Split, Set<number>>, erasureId, written);
        replaced.push(versionPrefix(dataset.id, old.id));
        const removedExamples = successor.removed.train + successor.removed.validation + successor.removed.test;
        versions.push({ dataset: dataset.name, datasetId: dataset.id, from: old.version, to: successor.version.version, removedExamples });
      }

      const replacedIds = affected.map((version) => version.id);
      const flagged = replacedIds.length
        ? await tx
            .update(models)
            .set({ retrainRequiredAt: new Date(), retrainReason: `GDPR erasure ${erasureId} removed examples from the dataset version it was trained on` })
            .where(inArray(models.datasetVersionId, replacedIds))
            .returning({ id: models.id })
        : [];
      const trainedOn = replacedIds.length
        ? await tx.select({ id: fineTuningJobs.id }).from(fineTuningJobs).where(inArray(fineTuningJobs.datasetVersionId, replacedIds))
        : [];
      runsWithCopies.push(...trainedOn.map((job) => job.id));

      // Before the conversations go: serving's copies are found through them.
      const removedTests = affected.map((old) => ({ testKey: splitKey(versionPrefix(old.datasetId, old.id), 'test'), positions: [...(byVersion.get(old.id)?.test ?? [])] }));
      const serving = await eraseServingCopies(tx, { conversationIds, email: request.email ? request.email.toLowerCase() : null }, removedTests);
      const [counted] = await tx.select({ n: sql<number>`count(*)::int` }).from(messages).where(sql`${messages.conversationId} = ANY(${ids(conversationIds)})`);
      if (conversationIds.length) await tx.delete(conversations).where(sql`${conversations.id} = ANY(${ids(conversationIds)})`);
      if (messageIds.length) await tx.delete(messages).where(sql`${messages.id} = ANY(${ids(messageIds)})`);
      const result: ErasureReport = {
        erasureId,
        at: new Date().toISOString(),
        subject,
        conversations: conversationIds.length,
        messages: (counted?.n ?? 0) + messageIds.length,
        versions,
        buildsFailed: failed.length,
        filesDeleted: 0,
        modelsFlagged: flagged.length,
        trainingDataCopiesDeleted: 0,
        draftsDeleted: serving.drafts,
        reviewPairsDeleted: serving.reviewPairs,
      };
      await recordAudit(tx, {
        actor,
        action: 'gdpr.erasure',
        subjectType: 'data_subject',
        subjectId: subject.sha256,
        details: { erasureId, by, conversations: result.conversations, messages: result.messages, versions, buildsFailed: failed.length, modelsFlagged: flagged.map((m) => m.id) },
      });
      return result;
    });
  } catch (error) {
    for (const prefix of written) await deleteFiles(store, prefix);
    throw error;
  }
  for (const prefix of replaced) filesDeleted += await deleteFiles(store, prefix);
  // The runs' own copies of the erased versions' files; the adapters stay, flagged for retraining.
  for (const jobId of runsWithCopies) await rm(join(runDir(deps.home, jobId), 'data'), { recursive: true, force: true });
  deps.log.info({ erasureId, conversations: report.conversations, messages: report.messages, versions: report.versions.length }, 'GDPR erasure done');
  return { ...report, filesDeleted, trainingDataCopiesDeleted: runsWithCopies.length };
}

