/**
 * Where a job's examples come from: uploaded files (training_file / validation_file), or a frozen
 * dataset version's train and validation splits. Both end as artifact-store keys the runner reads.
 */
import { z } from 'zod';
import type { Tx } from '../db/client.ts';
import type { TrainingFileFormat } from '../db/schema/index.ts';
import { StoredManifest } from '../datasets/manifest.ts';
import { resolveVersionRef } from '../datasets/versions.ts';
import { getTrainingFile, type TrainingFile } from './files/files.ts';

export interface DataFile {
  key: string;
  format: TrainingFileFormat;
  examples: number | null;
  sha256: string | null;
}

export interface TrainingData {
  train: DataFile;
  validation: DataFile | null;
  task: string | null;
}

export class DataSourceError extends Error {
  override name = 'DataSourceError';
  constructor(
    message: string,
    readonly param: string,
  ) {
    super(message);
  }
}

const isUuid = (value: string) => z.uuid().safeParse(value).success;

function fromFile(file: TrainingFile): DataFile {
  return { key: file.storageKey, format: file.format, examples: file.examples, sha256: file.sha256 };
}

export async function loadFile(db: Tx, id: string, param: string): Promise<TrainingFile> {
  const file = isUuid(id) ? await getTrainingFile(db, id) : null;
  if (!file) throw new DataSourceError(`no file with id "${id}"`, param);
  if (file.purpose !== 'fine-tune') throw new DataSourceError(`file ${id} was not uploaded with purpose fine-tune`, param);
  return file;
}

export async function filesData(db: Tx, trainingFileId: string, validationFileId: string | null): Promise<TrainingData> {
  const train = await loadFile(db, trainingFileId, 'training_file');
  const validation = validationFileId ? await loadFile(db, validationFileId, 'validation_file') : null;
  if (validation && validation.format !== train.format) throw new DataSourceError(`validation_file is in the ${validation.format} format, training_file in ${train.format}`, 'validation_file');
  return { train: fromFile(train), validation: validation ? fromFile(validation) : null, task: null };
}


/** A dataset version by id, "name@3" or "name@latest" (the newest ready one). */
export async function datasetVersionData(db: Tx, ref: string): Promise<TrainingData & { versionId: string }> {
  const found = await resolveVersionRef(db, ref);
  if (!found) throw new DataSourceError(`no dataset version "${ref}" (give its id, name@N or name@latest)`, 'dataset_version');
  const { dataset, version } = found;
  if (version.status !== 'ready') throw new DataSourceError(`dataset version ${dataset.name}@${version.version} is ${version.status}, not ready`, 'dataset_version');
  const manifest = StoredManifest.safeParse(version.manifest);
  if (!manifest.success) throw new DataSourceError(`dataset version ${dataset.name}@${version.version} lists no train split file in its manifest`, 'dataset_version');
  const { train, validation } = manifest.data.splits;
  if (train.examples === 0) throw new DataSourceError(`dataset version ${dataset.name}@${version.version} has no training examples`, 'dataset_version');
  const format: TrainingFileFormat = dataset.task === 'preference' ? 'preference' : 'chat';
  const split = (file: StoredManifest['splits']['train']): DataFile => ({ key: file.key, format, examples: file.examples, sha256: file.sha256 ?? null });
  return { train: split(train), validation: validation && validation.examples > 0 ? split(validation) : null, task: dataset.task, versionId: version.id };
}

/** The data of a stored job, resolved again when it runs (files may live in another store by then). */
export async function jobData(db: Tx, job: { datasetVersionId: string | null; trainingFileId: string | null; validationFileId: string | null }): Promise<TrainingData> {
  if (job.trainingFileId) return filesData(db, job.trainingFileId, job.validationFileId);
  if (job.datasetVersionId) return datasetVersionData(db, job.datasetVersionId);
  throw new DataSourceError('the job has no training data any more (its file or dataset version was deleted)', 'training_file');
}
