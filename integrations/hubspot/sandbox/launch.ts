/** `tuneloop sandbox hubspot`: the sandbox on a port, and the command that connects the hub to it. */
import { faultOptions } from '../../sandbox-kit/launch.ts';
import type { SandboxLauncher } from '../../types.ts';
import { SANDBOX_DEFAULTS, startHubSpotSandbox } from './index.ts';

export const hubspotSandbox: SandboxLauncher = {
  description: 'HubSpot sandbox (Conversations inbox threads, CRM tickets with emails and notes)',
  options: [...faultOptions(4010, 'conversations'), { name: 'inbox-threads', description: '1: odd-numbered conversations are inbox threads (the default); 0: all are tickets', default: 1, min: 0 }],
  async start(values) {
    const started = await startHubSpotSandbox({
      port: values.port,
      seed: values.seed,
      conversations: values.tickets,
      rateLimits: values['rate-limits'] !== 0,
      inboxThreads: values['inbox-threads'] !== 0,
      rateLimitEvery: values['rate-limit-every'] ?? null,
      retryAfterSeconds: values['retry-after'],
      errorBurst: values['error-burst'],
      latencyMs: values['latency-ms'],
    });
    return {
      url: started.url,
      close: () => started.close(),
      instructions: [
        `HubSpot sandbox on ${started.url} (${values.tickets} conversations: inbox threads and tickets, seed ${values.seed})`,
        'Add it as a connection:',
        `  npm run tuneloop -- connections add --vendor hubspot --name hubspot-sandbox --setting baseUrl=${started.url} --credential type=private_app --credential accessToken=${SANDBOX_DEFAULTS.privateAppToken}`,
      ],
    };
  },
};
