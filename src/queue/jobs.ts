/**
 * Every background job tuneloop runs: its name (`domain.verb`) and the zod schema of its payload.
 * Payloads are `unknown` until parsed here; new fields are optional so old jobs still parse.
 */
import { z } from 'zod';

const id = z.uuid();
const vendorTicket = z.object({
  connectionId: id,
  /** The vendor's id of the ticket or case. */
  sourceId: z.string().min(1).max(200),
  /** The webhook delivery that caused it, for tracing. */
  deliveryId: z.string().max(200).optional(),
});

export const JOBS = {
  /** A run to execute, or (from a connection's cron schedule) a connection to start a run for. */
  'harvest.run': z.union([z.object({ harvestId: id }).strict(), z.object({ connectionId: id, trigger: z.literal('schedule') }).strict()]),
  'dataset.build': z.object({ datasetVersionId: id }),
  'finetune.train': z.object({ fineTuningJobId: id }),
  /** A sweep's trial ended: end the sweep once every trial has (src/training/sweep/settle.ts). */
  'finetune.sweep': z.object({ parentJobId: id }),
  'model.evaluate': z.object({ modelId: id, evaluationId: id.optional() }),
  'draft.generate': vendorTicket,
  'triage.apply': vendorTicket,
  /** Compares a solved ticket's final reply with its posted draft (src/serving/feedback/). */
  'draft.feedback': z.object({ draftId: id }),
  'compliance.scan': z.object({ messageId: z.coerce.number().int().positive() }),
  /** A document's extracted text against the policies (src/serving/compliance/scan-document.ts). */
  'compliance.scan-document': z.object({ documentId: z.coerce.number().int().positive() }),
  'slack.notify': z.object({
    kind: z.enum(['run.status', 'model.promoted', 'alert.raised', 'drift.detected', 'harvest.finished', 'retrain.status']),
    subjectId: z.string().min(1).max(200),
    channel: z.string().max(100).optional(),
  }),
  /** One outgoing webhook delivery (src/events/deliver.ts); retried with backoff by pg-boss. */
  'events.deliver': z.object({ deliveryId: id }),
  /** Deletes old webhook delivery records, inbound and outgoing (scheduled daily; src/webhooks/prune.ts). */
  'deliveries.prune': z.object({}),
  /** Sends `events.deliver` for deliveries emitted without a queue (scheduled every minute). */
  'events.sweep': z.object({}),
  /** Drift of one task, or of every task with a production model (scheduled: DRIFT_CHECK_CRON). */
  'drift.check': z.object({ task: z.string().max(40).optional() }),
  /** `/tuneloop draft`: a draft for a stored conversation or a bare text, answered at the command's response_url. */
  'slack.draft': z.union([
    z.object({ responseUrl: z.url(), userId: z.string().max(64), conversationId: z.number().int().positive() }).strict(),
    z.object({ responseUrl: z.url(), userId: z.string().max(64), text: z.string().min(1).max(4000) }).strict(),
  ]),
  /** A conversation a vendor event named (a Slack message), read and stored now like a harvest would. */
  'conversation.refresh': z.object({ connectionId: id, sourceId: z.string().min(1).max(200), deliveryId: z.string().max(200).optional() }),
  /** A manual retraining (Slack `retrain`, API): harvest, build, then train; see src/models/retraining/manual.ts. */
  'retrain.run': z.object({ retrainingRunId: id }),
  /** Advances started retrainings, then evaluates retraining policies (all, or one task's cron trigger); `advanceOnly`: the first part only. */
  'retrain.evaluate': z.object({ task: z.string().max(40).optional(), trigger: z.literal('cron').optional(), advanceOnly: z.boolean().optional() }),
  /** Runs one GDPR erasure (src/gdpr/run.ts), or with no id resumes pending and abandoned ones (scheduled, and at hub start). */
  'gdpr.erase': z.object({ erasureId: id.optional() }),
  /** One batch of the inference API's Batch API (src/models/gateway/batches.ts); resumes with its open lines. */
  'inference.batch': z.object({ batchId: z.string().regex(/^batch_[0-9a-f]{24}$/) }),
} as const;

export type JobName = keyof typeof JOBS;
export type JobPayload<N extends JobName> = z.infer<(typeof JOBS)[N]>;
export const JOB_NAMES = Object.keys(JOBS) as JobName[];

export class JobPayloadError extends Error {
  override name = 'JobPayloadError';
}

export function isJobName(name: string): name is JobName {
  return Object.hasOwn(JOBS, name);
}

/** Parses a payload for `name`, throwing one readable line on failure. */
export function parseJobPayload<N extends JobName>(name: N, data: unknown): JobPayload<N> {
  const result = JOBS[name].safeParse(data);
  if (result.success) return result.data as JobPayload<N>;
  const problems = result.error.issues.map((issue) => `${issue.path.join('.') || '(payload)'}: ${issue.message}`).join('; ');
  throw new JobPayloadError(`invalid ${name} payload: ${problems}`);
}
