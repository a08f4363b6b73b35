/** Prometheus metrics of write-back (registered on the process registry of src/metrics.ts). */
import { Counter, Gauge } from 'prom-client';
import { registry } from '../../metrics.ts';

export const draftOutcomes = new Counter({
  name: 'tuneloop_drafts_total',
  help: 'Draft and triage attempts by task and recorded status (posted, skipped, failed).',
  labelNames: ['task', 'status'] as const,
  registers: [registry],
});

export const draftModelUnavailable = new Counter({
  name: 'tuneloop_draft_model_unavailable_total',
  help: 'Draft and triage jobs put back for a retry because the model server could not answer.',
  labelNames: ['task'] as const,
  registers: [registry],
});

export const draftFeedback = new Counter({
  name: 'tuneloop_draft_feedback_total',
  help: 'Posted drafts compared with the agent\'s final reply, by model and whether the draft was accepted.',
  labelNames: ['model', 'accepted'] as const,
  registers: [registry],
});

export const draftAcceptance = new Gauge({
  name: 'tuneloop_draft_acceptance_ratio',
  help: 'Share of compared drafts that were accepted, per model (all feedback so far).',
  labelNames: ['model'] as const,
  registers: [registry],
});
