/** Prometheus metrics of model requests (registered on the process registry of src/metrics.ts). */
import { Counter, Gauge, Histogram } from 'prom-client';
import { registry } from '../../metrics.ts';

/** ok | unavailable (down, timeout, 5xx, 429) | breaker_open | rejected (4xx: a request the server refused) | aborted */
export type InferenceOutcome = 'ok' | 'unavailable' | 'breaker_open' | 'rejected' | 'aborted';

export const inferenceRequests = new Counter({
  name: 'tuneloop_inference_requests_total',
  help: 'Model requests by task and outcome (ok, unavailable, breaker_open, rejected, aborted).',
  labelNames: ['task', 'outcome'] as const,
  registers: [registry],
});

export const inferenceDuration = new Histogram({
  name: 'tuneloop_inference_duration_seconds',
  help: 'Time of a model request by task and model (its registry id), adapter loading and retries included.',
  labelNames: ['task', 'model'] as const,
  buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
  registers: [registry],
});

export const inferenceBreakerOpen = new Gauge({
  name: 'tuneloop_inference_breaker_open',
  help: '1 while the circuit breaker of a model server is open or half-open, else 0.',
  labelNames: ['endpoint'] as const,
  registers: [registry],
});

export const inferenceMasked = new Counter({
  name: 'tuneloop_inference_masked_total',
  help: 'Pieces of personal data replaced by placeholders in prompts before they left for a model, by backend and type (MASK_PROMPTS).',
  labelNames: ['backend', 'type'] as const,
  registers: [registry],
});
