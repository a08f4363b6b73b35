/** `tuneloop sandbox openai`: the loopback OpenAI fine-tuning API, and how to point the hub at it. */
import type { SandboxLauncher } from '../../types.ts';
import { SANDBOX_API_KEY, startOpenAISandbox } from './index.ts';

export const openaiSandbox: SandboxLauncher = {
  description: 'OpenAI fine-tuning API sandbox (files, jobs, events, checkpoints, models)',
  options: [
    { name: 'port', description: 'port (0 picks a free one)', default: 4020, min: 0 },
    { name: 'step-ms', description: 'time per status change or training step', default: 1000, min: 0 },
    { name: 'max-steps', description: 'most steps a job takes', default: 20, min: 1 },
    { name: 'rate-limit-every', description: 'answer every Nth request with 429 + Retry-After', min: 1 },
  ],
  async start(values) {
    const started = await startOpenAISandbox({ port: values.port, stepMs: values['step-ms'], maxSteps: values['max-steps'], rateLimitEvery: values['rate-limit-every'] ?? null });
    return {
      url: `${started.url}/v1`,
      close: () => started.close(),
      instructions: [
        `OpenAI sandbox on ${started.url}/v1`,
        'Use it as the openai backend:',
        `  OPENAI_API_KEY=${SANDBOX_API_KEY} OPENAI_BASE_URL=${started.url}/v1 npm start`,
        '  npm run tuneloop -- train start --backend openai --model gpt-4o-mini --file train.jsonl',
      ],
    };
  },
};
