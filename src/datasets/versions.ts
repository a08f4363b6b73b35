/**
 * Datasets and their versions in Postgres: create, find by id or name, list, and new version rows
 * (numbered per dataset under a lock; with a queue, the build job is sent in the same transaction).
 */
import { and, desc, eq, inArray, or, sql } from 'drizzle-orm';
import { z } from 'zod';
import { recordAudit } from '../audit.ts';
import type { Tx } from '../db/client.ts';
import { connections, datasets, datasetVersions, type DatasetVersionOrigin } from '../db/schema/index.ts';
import type { Queue } from '../queue/queue.ts';
import { DatasetConfigError, parseDatasetConfig, TASKS } from './config.ts';

export type DatasetRow = typeof datasets.$inferSelect;
export type VersionRow = typeof datasetVersions.$inferSelect;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const NewDataset = z
  .object({
    /** No "@": "name@3" names version 3. */
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, 'must be 1-100 letters, digits, . _ - (starting with a letter or digit)'),
    task: z.enum(TASKS),
    config: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();
export type NewDataset = z.input<typeof NewDataset>;

export class DatasetInputError extends Error {
  override name = 'DatasetInputError';
}

export async function createDataset(db: Tx, input: NewDataset, actor: string): Promise<DatasetRow> {
  const checked = NewDataset.safeParse(input);
  if (!checked.success) throw new DatasetInputError(checked.error.issues.map((i) => `${i.path.join('.') || 'dataset'}: ${i.message}`).join('; '));
  const parsed = checked.data;
  let config;
  try {
    config = parseDatasetConfig(parsed.config);
  } catch (error) {
    if (error instanceof DatasetConfigError) throw new DatasetInputError(error.message);
    throw error;
  }
  if ((parsed.task === 'reply' || parsed.task === 'triage') && config.connections.length === 0) {
    throw new DatasetInputError('config.connections: name at least one connection to take conversations from');
  }
  return db.transaction(async (tx) => {
    if (config.connections.length) {
      const found = await tx.select({ id: connections.id }).from(connections).where(inArray(connections.id, config.connections));
      const missing = config.connections.filter((id) => !found.some((row) => row.id === id));
      if (missing.length) throw new DatasetInputError(`config.connections: no connection ${missing.join(', ')}`);
    }
    const [existing] = await tx.select({ id: datasets.id }).from(datasets).where(eq(datasets.name, parsed.name));
    if (existing) throw new DatasetInputError(`a dataset named "${parsed.name}" already exists`);
    const [row] = await tx.insert(datasets).values({ name: parsed.name, task: parsed.task, config }).returning();
    if (!row) throw new Error('dataset insert returned nothing');
    await recordAudit(tx, { actor, action: 'dataset.created', subjectType: 'dataset', subjectId: row.id, details: { name: row.name, task: row.task } });
    return row;
  });
}

export async function findDataset(db: Tx, idOrName: string): Promise<DatasetRow | null> {
  const where = UUID.test(idOrName) ? or(eq(datasets.id, idOrName), eq(datasets.name, idOrName)) : eq(datasets.name, idOrName);
  const [row] = await db.select().from(datasets).where(where).limit(1);
  return row ?? null;
}

export async function listDatasets(db: Tx): Promise<DatasetRow[]> {
  return db.select().from(datasets).orderBy(datasets.name);
}

/** A new version row, numbered after the dataset's last one. With a queue, its build job is sent in the same transaction. */
export async function createVersion(
  db: Tx,
  datasetId: string,
  origin: DatasetVersionOrigin,
  options: { queue?: Queue | null; status?: VersionRow['status']; parentVersionId?: string } = {},
): Promise<VersionRow> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtext(${`dataset-version:${datasetId}`}))`);
    const [last] = await tx.select({ max: sql<number>`coalesce(max(${datasetVersions.version}), 0)::int` }).from(datasetVersions).where(eq(datasetVersions.datasetId, datasetId));
    const [row] = await tx
      .insert(datasetVersions)
      .values({ datasetId, version: (last?.max ?? 0) + 1, origin, status: options.status ?? 'queued', parentVersionId: options.parentVersionId ?? null })
      .returning();
    if (!row) throw new Error('dataset version insert returned nothing');
    if (options.queue) await options.queue.send('dataset.build', { datasetVersionId: row.id }, { tx });
    return row;
  });
}

export async function getVersion(db: Tx, id: string): Promise<VersionRow | null> {
  const [row] = await db.select().from(datasetVersions).where(eq(datasetVersions.id, id));
  return row ?? null;
}

/** A version of the dataset by number ("3") or id. */
export async function findVersion(db: Tx, datasetId: string, ref: string): Promise<VersionRow | null> {
  let where;
  if (/^\d{1,9}$/.test(ref)) where = eq(datasetVersions.version, Number(ref));
  else if (UUID.test(ref)) where = eq(datasetVersions.id, ref);
  else return null;
  const [row] = await db.select().from(datasetVersions).where(and(eq(datasetVersions.datasetId, datasetId), where));
  return row ?? null;
}

export async function listVersions(db: Tx, datasetId: string): Promise<VersionRow[]> {
  return db.select().from(datasetVersions).where(eq(datasetVersions.datasetId, datasetId)).orderBy(desc(datasetVersions.version));
}

/**
 * "name@3", "name@latest" or a version id → the dataset and version. `latest` is the newest ready one.
 */
export async function resolveVersionRef(db: Tx, ref: string): Promise<{ dataset: DatasetRow; version: VersionRow } | null> {
  if (UUID.test(ref)) {
    const version = await getVersion(db, ref);
    const dataset = version ? await findDataset(db, version.datasetId) : null;
    return version && dataset ? { dataset, version } : null;
  }
  const at = ref.lastIndexOf('@');
  if (at <= 0) return null;
  const dataset = await findDataset(db, ref.slice(0, at));
  if (!dataset) return null;
  const which = ref.slice(at + 1);
  if (which === 'latest') {
    const [version] = await db
      .select()
      .from(datasetVersions)
      .where(and(eq(datasetVersions.datasetId, dataset.id), eq(datasetVersions.status, 'ready')))
      .orderBy(desc(datasetVersions.version))
      .limit(1);
    return version ? { dataset, version } : null;
  }
  const version = await findVersion(db, dataset.id, which);
  return version ? { dataset, version } : null;
}

/** Where a version's files live in the artifact store. */
export function versionPrefix(datasetId: string, versionId: string): string {
  return `datasets/${datasetId}/${versionId}/`;
}

/**
 * Serialises erasures with the last step of builds and uploads: a version either becomes ready
 * before an erasure looks for the subject's examples, or checks after it that none of its
 * conversations were erased meanwhile.
 */
export async function lockAgainstErasure(tx: Tx): Promise<void> {
  await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtext('dataset-erasure'))`);
}
