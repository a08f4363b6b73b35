/** Prometheus metrics of the inference API (registered on the process registry of src/metrics.ts). */
import { Counter, Histogram } from 'prom-client';
import { registry } from '../../metrics.ts';

export const gatewayTokens = new Counter({
  name: 'tuneloop_inference_tokens_total',
  help: 'Tokens through the inference API by model and direction (input, output).',
  labelNames: ['model', 'direction'] as const,
  registers: [registry],
});

export const gatewayDuration = new Histogram({
  name: 'tuneloop_inference_api_duration_seconds',
  help: 'Inference API request time by model, endpoint and status (model time included; streams until their last byte).',
  labelNames: ['model', 'endpoint', 'status'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
  registers: [registry],
});

export const gatewayCost = new Counter({
  name: 'tuneloop_inference_cost_usd_total',
  help: 'Cost of inference API requests in USD by model, from the price table (INFERENCE_PRICES).',
  labelNames: ['model'] as const,
  registers: [registry],
});
