/** `tuneloop sandbox zendesk|salesforce`: a vendor sandbox on loopback, for demos and trying things out. */
import type { Command } from 'commander';
import { SANDBOX_DEFAULTS as HUBSPOT, startHubSpotSandbox } from '../../integrations/hubspot/sandbox/index.ts';
import { startSalesforceSandbox } from '../../integrations/salesforce/sandbox/index.ts';
import { DEFAULT_CHANNELS as SLACK_CHANNELS, SANDBOX_BOT_TOKEN, startSlackSandbox, SUPPORT_GROUP_ID } from '../../integrations/slack/sandbox/index.ts';
import { startZendeskSandbox, SANDBOX_DEFAULTS as ZENDESK } from '../../integrations/zendesk/sandbox/index.ts';
import { fail } from './context.ts';

interface SandboxOptions {
  port: string;
  seed: string;
  tickets: string;
  rateLimitEvery?: string;
  retryAfter?: string;
  errorBurst?: string;
  latencyMs?: string;
}

function int(name: string, value: string | undefined, min = 0): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < min) fail(`--${name} must be a number >= ${min}`, 2);
  return parsed;
}

function faultOptions(command: Command): Command {
  return command
    .option('--port <port>', 'port (0 picks a free one)', '4010')
    .option('--seed <n>', 'data seed: the same seed gives the same data', '1')
    .option('--tickets <n>', 'how many tickets/cases', '500')
    .option('--rate-limit-every <n>', 'answer every Nth request with 429 + Retry-After')
    .option('--retry-after <seconds>', 'Retry-After of injected 429s', '1')
    .option('--error-burst <n>', 'answer the first N requests with 503')
    .option('--latency-ms <ms>', 'delay every answer');
}

async function serveUntilSignal(describe: () => Promise<{ url: string; close: () => Promise<void>; lines: string[] }>) {
  let started: Awaited<ReturnType<typeof describe>>;
  try {
    started = await describe();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    fail(code === 'EADDRINUSE' ? 'that port is already in use; pick another with --port (0 picks a free one)' : `sandbox failed to start: ${(error as Error).message}`);
  }
  const { close, lines } = started;
  process.stdout.write(`${lines.join('\n')}\nCtrl-C stops it.\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await close();
}

export function registerSandboxCommands(program: Command) {
  const sandbox = program.command('sandbox').description('run a vendor API sandbox on loopback (realistic data, fault injection)');

  faultOptions(sandbox.command('zendesk').description('Zendesk Support API sandbox')).action((options: SandboxOptions) =>
    serveUntilSignal(async () => {
      const started = await startZendeskSandbox({
        port: int('port', options.port),
        seed: int('seed', options.seed),
        tickets: int('tickets', options.tickets, 1),
        rateLimitEvery: int('rate-limit-every', options.rateLimitEvery, 1) ?? null,
        retryAfterSeconds: int('retry-after', options.retryAfter),
        errorBurst: int('error-burst', options.errorBurst),
        latencyMs: int('latency-ms', options.latencyMs),
      });
      return {
        ...started,
        lines: [
          `Zendesk sandbox on ${started.url} (${options.tickets} tickets, seed ${options.seed})`,
          'Add it as a connection:',
          `  npm run tuneloop -- connections add --vendor zendesk --name zendesk-sandbox --setting baseUrl=${started.url} --credential type=api_token --credential email=${ZENDESK.email} --credential token=${ZENDESK.apiToken}`,
        ],
      };
    }),
  );

  faultOptions(sandbox.command('salesforce').description('Salesforce REST API sandbox (OAuth and SOAP login, SOQL, limits)')).action((options: SandboxOptions) =>
    serveUntilSignal(async () => {
      const started = await startSalesforceSandbox({
        port: int('port', options.port),
        seed: int('seed', options.seed),
        cases: int('tickets', options.tickets, 1),
        apiLimit: 1_000_000,
        ...(options.rateLimitEvery ? { rateLimitEvery: int('rate-limit-every', options.rateLimitEvery, 1), rateLimitStyle: 'unavailable' as const } : {}),
        retryAfterSeconds: int('retry-after', options.retryAfter),
        ...(options.errorBurst ? { errorBurst: { count: int('error-burst', options.errorBurst) ?? 0 } } : {}),
        latencyMs: int('latency-ms', options.latencyMs),
      });
      const c = started.credentials;
      return {
        ...started,
        lines: [
          `Salesforce sandbox on ${started.url} (${options.tickets} cases, seed ${options.seed})`,
          'Add it as a connection:',
          `  npm run tuneloop -- connections add --vendor salesforce --name salesforce-sandbox --setting instanceUrl=${started.url} --credential type=password --credential username=${c.username} --credential password=${c.password} --credential securityToken=${c.securityToken}`,
        ],
      };
    }),
  );

  faultOptions(sandbox.command('slack').description('Slack Web API sandbox (channel history, threads, chat.postMessage, views)')).action((options: SandboxOptions) =>
    serveUntilSignal(async () => {
      const started = await startSlackSandbox({
        port: int('port', options.port),
        seed: int('seed', options.seed),
        threads: int('tickets', options.tickets, 1),
        rateLimitEvery: int('rate-limit-every', options.rateLimitEvery, 1) ?? null,
        retryAfterSeconds: int('retry-after', options.retryAfter),
        errorBurst: int('error-burst', options.errorBurst),
        latencyMs: int('latency-ms', options.latencyMs),
      });
      const channels = JSON.stringify(SLACK_CHANNELS.map((channel) => channel.id));
      return {
        ...started,
        lines: [
          `Slack sandbox on ${started.apiUrl} (${options.tickets} threads over ${SLACK_CHANNELS.length} channels, seed ${options.seed})`,
          'Add it as a connection:',
          `  npm run tuneloop -- connections add --vendor slack --name slack-sandbox --setting apiUrl=${started.apiUrl} --setting 'channels=${channels}' --setting agentUserGroup=${SUPPORT_GROUP_ID} --credential type=bot_token --credential token=${SANDBOX_BOT_TOKEN}`,
        ],
      };
    }),
  );

  faultOptions(sandbox.command('hubspot').description('HubSpot sandbox (Conversations inbox threads, CRM tickets with emails and notes)')).action((options: SandboxOptions) =>
    serveUntilSignal(async () => {
      const started = await startHubSpotSandbox({
        port: int('port', options.port),
        seed: int('seed', options.seed),
        conversations: int('tickets', options.tickets, 1),
        rateLimitEvery: int('rate-limit-every', options.rateLimitEvery, 1) ?? null,
        retryAfterSeconds: int('retry-after', options.retryAfter),
        errorBurst: int('error-burst', options.errorBurst),
        latencyMs: int('latency-ms', options.latencyMs),
      });
      return {
        ...started,
        lines: [
          `HubSpot sandbox on ${started.url} (${options.tickets} conversations: inbox threads and tickets, seed ${options.seed})`,
          'Add it as a connection:',
          `  npm run tuneloop -- connections add --vendor hubspot --name hubspot-sandbox --setting baseUrl=${started.url} --credential type=private_app --credential accessToken=${HUBSPOT.privateAppToken}`,
        ],
      };
    }),
  );
}
