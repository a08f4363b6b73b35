/** `tuneloop sandbox zendesk`: the sandbox on a port, and the command that connects the hub to it. */
import { faultOptions } from '../../sandbox-kit/launch.ts';
import type { SandboxLauncher } from '../../types.ts';
import { SANDBOX_DEFAULTS, startZendeskSandbox } from './index.ts';

export const zendeskSandbox: SandboxLauncher = {
  description: 'Zendesk Support API sandbox',
  options: faultOptions(4010),
  async start(values) {
    const started = await startZendeskSandbox({
      port: values.port,
      seed: values.seed,
      tickets: values.tickets,
      rateLimits: values['rate-limits'] !== 0,
      rateLimitEvery: values['rate-limit-every'] ?? null,
      retryAfterSeconds: values['retry-after'],
      errorBurst: values['error-burst'],
      latencyMs: values['latency-ms'],
    });
    return {
      url: started.url,
      close: () => started.close(),
      instructions: [
        `Zendesk sandbox on ${started.url} (${values.tickets} tickets, seed ${values.seed}, rate limits ${values['rate-limits'] === 0 ? 'lifted' : 'on'})`,
        'Add it as a connection:',
        `  npm run tuneloop -- connections add --vendor zendesk --name zendesk-sandbox --setting baseUrl=${started.url} --credential type=api_token --credential email=${SANDBOX_DEFAULTS.email} --credential token=${SANDBOX_DEFAULTS.apiToken}`,
      ],
    };
  },
};
