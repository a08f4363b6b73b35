/**
 * A model trained on a dataset version that a GDPR erasure replaced still holds what was erased
 * (in its weights): it may keep serving until its retrain is promoted, but it is never put in
 * front of more tickets — promote, rollback to it and A/B start refuse it with the reason.
 */
import { eq } from 'drizzle-orm';
import type { Tx } from '../../db/client.ts';
import { datasetVersions } from '../../db/schema/index.ts';
import { RegistryError } from './registry.ts';

export async function refuseErasedTraining(tx: Tx, model: { id: string; datasetVersionId: string | null }, action: string): Promise<void> {
  if (!model.datasetVersionId) return;
  const [version] = await tx.select({ status: datasetVersions.status, version: datasetVersions.version }).from(datasetVersions).where(eq(datasetVersions.id, model.datasetVersionId));
  if (version?.status !== 'erased') return;
  throw new RegistryError(
    'conflict',
    `${action} refused: model ${model.id} was trained on dataset version ${version.version}, which a GDPR erasure replaced (it held erased personal data); retrain on the successor version`,
  );
}
