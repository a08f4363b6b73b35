/** Webhook counters, on the process registry (src/metrics.ts) so /metrics shows them. */
import { Counter } from 'prom-client';
import { registry } from '../metrics.ts';

export type WebhookOutcome = 'accepted' | 'duplicate' | 'unauthorized' | 'stale' | 'malformed' | 'too_large' | 'unavailable';

export const webhookDeliveries = new Counter({
  name: 'tuneloop_webhook_deliveries_total',
  help: 'Inbound webhook requests by vendor and outcome (accepted, duplicate, unauthorized, stale, malformed, too_large, unavailable).',
  labelNames: ['vendor', 'outcome'] as const,
  registers: [registry],
});

export const webhookJobs = new Counter({
  name: 'tuneloop_webhook_jobs_total',
  help: 'Jobs enqueued by inbound webhooks, by vendor and job name.',
  labelNames: ['vendor', 'job'] as const,
  registers: [registry],
});
