/**
 * Queues whose duplicates must be refused, and the key of each job. pg-boss ignores `singletonKey`
 * on a `standard` queue (a second job with the same key is simply queued); only a queue created
 * with a policy enforces it (pg-boss docs/api/queues.md, "policy"):
 * - `exclusive`: one job per key queued, retrying or running. For jobs that stand for one row
 *   (a harvest run, a dataset version, a training job, a batch, a delivery): a second job for the
 *   same row would only race the first.
 * - `stately`: at most one job per key in each state (queued, retrying, running). For work on a
 *   ticket's latest state (drafts, triage): a message that arrives while the ticket's job runs
 *   gets one more run after it, and any further copies are refused.
 *
 * The key is computed here from the payload, never by callers, so two senders cannot spell it
 * differently, and no job of these queues goes without one (keyless jobs would all share the
 * empty key and refuse each other).
 */
import type { JobName, JobPayload } from './jobs.ts';

export type QueuePolicy = 'exclusive' | 'stately';

type PolicyOf<N extends JobName> = { policy: QueuePolicy; key: (payload: JobPayload<N>) => string };

export const QUEUE_POLICIES: { [N in JobName]?: PolicyOf<N> } = {
  'harvest.run': { policy: 'exclusive', key: (p) => ('harvestId' in p ? p.harvestId : `schedule:${p.connectionId}`) },
  'dataset.build': { policy: 'exclusive', key: (p) => p.datasetVersionId },
  'finetune.train': { policy: 'exclusive', key: (p) => p.fineTuningJobId },
  'model.evaluate': { policy: 'exclusive', key: (p) => p.evaluationId ?? `model:${p.modelId}` },
  'inference.batch': { policy: 'exclusive', key: (p) => p.batchId },
  'events.deliver': { policy: 'exclusive', key: (p) => p.deliveryId },
  'draft.feedback': { policy: 'exclusive', key: (p) => p.draftId },
  'draft.generate': { policy: 'stately', key: (p) => `${p.connectionId}:${p.sourceId}`.slice(0, 500) },
  'triage.apply': { policy: 'stately', key: (p) => `${p.connectionId}:${p.sourceId}`.slice(0, 500) },
};

/** The job's key when its queue refuses duplicates; undefined otherwise. */
export function policyKey<N extends JobName>(name: N, payload: JobPayload<N>): string | undefined {
  const entry = QUEUE_POLICIES[name] as PolicyOf<N> | undefined;
  return entry?.key(payload);
}

export function policyOf(name: JobName): QueuePolicy | 'standard' {
  return QUEUE_POLICIES[name]?.policy ?? 'standard';
}
