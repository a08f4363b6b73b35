/**
 * Training files uploaded through POST /api/v1/files (purpose `fine-tune`): checked line by line
 * while they are written to the artifact store, so a bad file leaves nothing behind.
 */
import { randomUUID } from 'node:crypto';
import { and, desc, eq, notInArray, or, sql } from 'drizzle-orm';
import type { ArtifactStore } from '../../artifacts/index.ts';
import type { Tx } from '../../db/client.ts';
import { fineTuningJobs, trainingFiles } from '../../db/schema/index.ts';
import { withoutNul } from '../../db/without-nul.ts';
import { checkJsonl, JsonlError } from './jsonl-check.ts';

export type TrainingFile = typeof trainingFiles.$inferSelect;

export class FileInputError extends Error {
  override name = 'FileInputError';
  constructor(
    message: string,
    readonly param: string | null = null,
  ) {
    super(message);
  }
}

export function fileKey(id: string): string {
  return `files/${id}.jsonl`;
}

/** Streams `body` into the store while checking it; the row is inserted only for a valid file. */
export async function uploadTrainingFile(
  db: Tx,
  store: ArtifactStore,
  input: { filename: string; body: AsyncIterable<Uint8Array>; maxBytes: number; actor: string },
): Promise<TrainingFile> {
  if (!/\.jsonl$/i.test(input.filename)) throw new FileInputError('fine-tuning files must be .jsonl', 'file');
  const id = randomUUID();
  const key = fileKey(id);
  const writer = await store.openWriter(key);
  let bytes = 0;
  async function* tee(): AsyncIterable<Uint8Array> {
    for await (const chunk of input.body) {
      bytes += chunk.byteLength;
      if (bytes > input.maxBytes) throw new FileInputError(`file is larger than ${input.maxBytes} bytes`, 'file');
      await writer.write(chunk);
      yield chunk;
    }
  }
  let checked: Awaited<ReturnType<typeof checkJsonl>>;
  let stored: Awaited<ReturnType<typeof writer.commit>>;
  try {
    checked = await checkJsonl(tee());
    stored = await writer.commit();
  } catch (error) {
    await writer.abort();
    if (error instanceof JsonlError) throw new FileInputError(`invalid training file: ${error.message}`, 'file');
    throw error;
  }
  try {
    const [row] = await db
      .insert(trainingFiles)
      .values({ id, filename: withoutNul(input.filename).slice(0, 255), purpose: 'fine-tune', format: checked.format, bytes: stored.bytes, examples: checked.examples, sha256: stored.sha256, storageKey: key, createdBy: input.actor })
      .returning();
    if (!row) throw new Error('training file insert returned nothing');
    return row;
  } catch (error) {
    await store.delete(key);
    throw error;
  }
}

export async function getTrainingFile(db: Tx, id: string): Promise<TrainingFile | null> {
  const [row] = await db.select().from(trainingFiles).where(eq(trainingFiles.id, id));
  return row ?? null;
}

export async function listTrainingFiles(db: Tx, options: { after?: string; limit: number }): Promise<{ rows: TrainingFile[]; hasMore: boolean }> {
  const after = options.after ? await getTrainingFile(db, options.after) : null;
  if (options.after && !after) throw new FileInputError(`no file ${options.after}`, 'after');
  const rows = await db
    .select()
    .from(trainingFiles)
    .where(after ? or(sql`${trainingFiles.createdAt} < ${after.createdAt}`, and(eq(trainingFiles.createdAt, after.createdAt), sql`${trainingFiles.id} < ${after.id}`)) : undefined)
    .orderBy(desc(trainingFiles.createdAt), desc(trainingFiles.id))
    .limit(options.limit + 1);
  return { rows: rows.slice(0, options.limit), hasMore: rows.length > options.limit };
}

/** Deletes a file unless an unfinished job still needs it. */
export async function deleteTrainingFile(db: Tx, store: ArtifactStore, id: string): Promise<boolean> {
  const file = await getTrainingFile(db, id);
  if (!file) return false;
  const [busy] = await db
    .select({ id: fineTuningJobs.id })
    .from(fineTuningJobs)
    .where(
      and(
        or(eq(fineTuningJobs.trainingFileId, id), eq(fineTuningJobs.validationFileId, id)),
        notInArray(fineTuningJobs.status, ['succeeded', 'failed', 'cancelled']),
      ),
    )
    .limit(1);
  if (busy) throw new FileInputError(`file ${id} is used by fine-tuning job ${busy.id}, which has not finished`, 'file_id');
  await db.delete(trainingFiles).where(eq(trainingFiles.id, id));
  await store.delete(file.storageKey);
  return true;
}
