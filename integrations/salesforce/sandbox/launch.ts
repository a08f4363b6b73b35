/** `tuneloop sandbox salesforce`: the sandbox on a port, and the command that connects the hub to it. */
import { faultOptions } from '../../sandbox-kit/launch.ts';
import type { SandboxLauncher } from '../../types.ts';
import { startSalesforceSandbox } from './index.ts';

export const salesforceSandbox: SandboxLauncher = {
  description: 'Salesforce REST API sandbox (OAuth, JWT bearer, client credentials and SOAP login; SOQL with subqueries, composite, describe; limits)',
  options: faultOptions(4010),
  async start(values) {
    const rateLimitEvery = values['rate-limit-every'];
    const errorBurst = values['error-burst'];
    const started = await startSalesforceSandbox({
      port: values.port,
      seed: values.seed,
      cases: values.tickets,
      // An Enterprise org's base daily allocation; lifted for benchmarks (--rate-limits 0).
      apiLimit: values['rate-limits'] === 0 ? 1_000_000_000 : 100_000,
      ...(rateLimitEvery ? { rateLimitEvery, rateLimitStyle: 'unavailable' as const } : {}),
      ...(errorBurst ? { errorBurst: { count: errorBurst } } : {}),
      latencyMs: values['latency-ms'],
    });
    const c = started.credentials;
    return {
      url: started.url,
      close: () => started.close(),
      instructions: [
        `Salesforce sandbox on ${started.url} (${values.tickets} cases, seed ${values.seed})`,
        'Add it as a connection:',
        `  npm run tuneloop -- connections add --vendor salesforce --name salesforce-sandbox --setting instanceUrl=${started.url} --credential type=password --credential username=${c.username} --credential password=${c.password} --credential securityToken=${c.securityToken}`,
      ],
    };
  },
};
