/**
 * `tuneloop sandbox slack`: the sandbox on a port, the command that connects the hub's harvest to
 * it, and the settings that point the hub's Slack app at it (Web API, request signing, Socket Mode).
 */
import { faultOptions } from '../../sandbox-kit/launch.ts';
import type { SandboxLauncher } from '../../types.ts';
import { DEFAULT_CHANNELS, SANDBOX_APP_TOKEN, SANDBOX_BOT_TOKEN, SANDBOX_SIGNING_SECRET, startSlackSandbox, SUPPORT_GROUP_ID } from './index.ts';

export const slackSandbox: SandboxLauncher = {
  description: 'Slack Web API sandbox (channel history, threads, chat.postMessage, views) that also plays Slack towards the app (Socket Mode, signed requests)',
  options: faultOptions(4010, 'threads'),
  async start(values) {
    const started = await startSlackSandbox({
      port: values.port,
      seed: values.seed,
      threads: values.tickets,
      rateLimitEvery: values['rate-limit-every'] ?? null,
      retryAfterSeconds: values['retry-after'],
      errorBurst: values['error-burst'],
      latencyMs: values['latency-ms'],
    });
    const channels = JSON.stringify(DEFAULT_CHANNELS.map((channel) => channel.id));
    return {
      url: started.apiUrl,
      close: () => started.close(),
      instructions: [
        `Slack sandbox on ${started.apiUrl} (${values.tickets} threads over ${DEFAULT_CHANNELS.length} channels, seed ${values.seed})`,
        'Add it as a connection:',
        `  npm run tuneloop -- connections add --vendor slack --name slack-sandbox --setting apiUrl=${started.apiUrl} --setting 'channels=${channels}' --setting agentUserGroup=${SUPPORT_GROUP_ID} --credential type=bot_token --credential token=${SANDBOX_BOT_TOKEN}`,
        "Point the hub's Slack app at it (with the app token it connects in Socket Mode, through apps.connections.open):",
        `  SLACK_API_URL=${started.apiUrl} SLACK_SIGNING_SECRET=${SANDBOX_SIGNING_SECRET} SLACK_APP_TOKEN=${SANDBOX_APP_TOKEN}`,
      ],
    };
  },
};
