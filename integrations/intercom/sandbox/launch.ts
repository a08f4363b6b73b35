/** `tuneloop sandbox intercom`: the sandbox on a port, and the command that connects the hub to it. */
import { faultOptions } from '../../sandbox-kit/launch.ts';
import type { SandboxLauncher } from '../../types.ts';
import { SANDBOX_DEFAULTS, startIntercomSandbox } from './index.ts';

export const intercomSandbox: SandboxLauncher = {
  description: 'Intercom REST API sandbox',
  options: faultOptions(4050, 'conversations'),
  async start(values) {
    const started = await startIntercomSandbox({
      port: values.port,
      seed: values.seed,
      conversations: values.tickets,
      rateLimits: values['rate-limits'] !== 0,
      rateLimitEvery: values['rate-limit-every'] ?? null,
      errorBurst: values['error-burst'],
      latencyMs: values['latency-ms'],
    });
    return {
      url: started.url,
      close: () => started.close(),
      instructions: [
        `Intercom sandbox on ${started.url} (${values.tickets} conversations, seed ${values.seed}, rate limits ${values['rate-limits'] === 0 ? 'lifted' : 'on'})`,
        'Add it as a connection:',
        `  npm run tuneloop -- connections add --vendor intercom --name intercom-sandbox --setting baseUrl=${started.url} --credential type=access_token --credential accessToken=${SANDBOX_DEFAULTS.accessToken}`,
        `Webhooks are signed with the client secret ${SANDBOX_DEFAULTS.clientSecret}.`,
      ],
    };
  },
};
