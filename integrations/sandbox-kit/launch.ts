/** The options every vendor sandbox offers on the command line (`tuneloop sandbox <vendor>`). */
import type { SandboxOption } from '../types.ts';

export function faultOptions(defaultPort: number, countName = 'tickets/cases'): SandboxOption[] {
  return [
    { name: 'port', description: 'port (0 picks a free one)', default: defaultPort, min: 0 },
    { name: 'seed', description: 'data seed: the same seed gives the same data', default: 1, min: 0 },
    { name: 'tickets', description: `how many ${countName}`, default: 500, min: 1 },
    { name: 'rate-limits', description: "1: the vendor's real rate limits (the default); 0: lifted, for benchmarks", default: 1, min: 0 },
    { name: 'rate-limit-every', description: 'answer every Nth request with 429 + Retry-After', min: 1 },
    { name: 'retry-after', description: 'Retry-After of injected 429s, in seconds', default: 1, min: 0 },
    { name: 'error-burst', description: 'answer the first N requests with 503', min: 0 },
    { name: 'latency-ms', description: 'delay every answer', min: 0 },
  ];
}
