/**
 * Prometheus metrics of the process. One registry per process; counters are module-level so any
 * module can count without threading a registry through every call.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'tuneloop_' });

export const httpRequests = new Counter({
  name: 'tuneloop_http_requests_total',
  help: 'HTTP requests by method, route and status.',
  labelNames: ['method', 'route', 'status'] as const,
  registers: [registry],
});

export const httpDuration = new Histogram({
  name: 'tuneloop_http_request_duration_seconds',
  help: 'HTTP request latency by method and route.',
  labelNames: ['method', 'route'] as const,
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  registers: [registry],
});

export const jobDuration = new Histogram({
  name: 'tuneloop_job_duration_seconds',
  help: 'Time a job handler ran, by job name.',
  labelNames: ['name'] as const,
  buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 1800, 7200],
  registers: [registry],
});

export const jobFailures = new Counter({
  name: 'tuneloop_job_failures_total',
  help: 'Job attempts that threw, by job name (each retry counts).',
  labelNames: ['name'] as const,
  registers: [registry],
});

export const queueDepth = new Gauge({
  name: 'tuneloop_queue_depth',
  help: 'Jobs per queue and state, read at scrape time.',
  labelNames: ['name', 'state'] as const,
  registers: [registry],
});

export const queueOldestAge = new Gauge({
  name: 'tuneloop_queue_oldest_job_age_seconds',
  help: 'Age of the oldest job per queue that is due to run and not started yet (0 when none), read at scrape time.',
  labelNames: ['name'] as const,
  registers: [registry],
});

/** Label lookups hash their labels on every call; the children are cached per route instead. */
const requestChildren = new Map<string, { count: ReturnType<typeof httpRequests.labels>; duration: ReturnType<typeof httpDuration.labels> }>();

export function recordRequest(method: string, route: string, status: number, seconds: number): void {
  const key = `${method} ${route} ${status}`;
  let children = requestChildren.get(key);
  if (!children) {
    children = { count: httpRequests.labels(method, route, String(status)), duration: httpDuration.labels(method, route) };
    requestChildren.set(key, children);
  }
  children.count.inc();
  children.duration.observe(seconds);
}
