/**
 * Prometheus metrics of harvests, per connection (registered on the process registry of
 * src/metrics.ts). Counted by the process that runs the harvest; Prometheus sums the processes.
 */
import { Counter } from 'prom-client';
import { registry } from '../metrics.ts';

const labelNames = ['connection', 'vendor'] as const;

export const harvestConversations = new Counter({
  name: 'tuneloop_harvest_conversations_total',
  help: 'Conversations read from a vendor and stored (created, updated or unchanged), per connection.',
  labelNames,
  registers: [registry],
});

export const harvestMessages = new Counter({
  name: 'tuneloop_harvest_messages_total',
  help: 'Messages written by harvests, per connection.',
  labelNames,
  registers: [registry],
});

export const harvestErrors = new Counter({
  name: 'tuneloop_harvest_errors_total',
  help: 'Harvest attempts that ended in an error (retried or failed for good), per connection.',
  labelNames,
  registers: [registry],
});

/** succeeded | failed | cancelled | retrying | interrupted */
export const harvestRunsFinished = new Counter({
  name: 'tuneloop_harvest_runs_total',
  help: 'Harvest attempts by how they ended (succeeded, failed, cancelled, retrying, interrupted), per connection.',
  labelNames: [...labelNames, 'outcome'] as const,
  registers: [registry],
});
