/**
 * `npm run demo`: the whole loop on one machine, through the same commands a user types.
 * Vendor sandboxes (Zendesk with realistic tickets, Slack) → harvest → compliance alerts posted to
 * the Slack sandbox → a curated, PII-scrubbed dataset version → a tiny CPU fine-tune on it →
 * a candidate model, evaluated against its base on the held-out split → the promotion gate →
 * the model server (gpu-worker `serve`, OpenAI protocol) → draft replies posted as internal notes
 * on open Zendesk tickets. State goes to ./.tuneloop-demo (removed at the start), so it never
 * touches the hub's own ./.tuneloop.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const HOME = resolve(ROOT, '.tuneloop-demo');
const TICKETS = Number(process.env.DEMO_TICKETS ?? 400);
const PYTHON = join(ROOT, 'gpu-worker', '.venv', 'bin', 'python');
const children: ChildProcess[] = [];

const env: NodeJS.ProcessEnv = {
  ...process.env,
  TUNELOOP_HOME: HOME,
  TUNELOOP_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
  LOG_LEVEL: 'warn',
  LOG_FORMAT: 'json',
  PORT: '0',
  COMPLIANCE_SLACK_CHANNEL: 'C0SUPPORT01', // a channel the Slack sandbox has
  SLACK_NOTIFY_CHANNEL: 'C0SUPPORT01',
  // A tiny model's evaluation: a few examples, short answers.
  EVALUATION_MAX_EXAMPLES: '20',
  EVALUATION_MAX_NEW_TOKENS: '24',
};
delete env.DATABASE_URL; // the demo always runs on its own embedded PostgreSQL

function step(title: string) {
  process.stdout.write(`\n\x1b[1m== ${title}\x1b[0m\n`);
}

/** Runs `tuneloop ARGS` like a user, showing its output; stops the demo when it fails. */
function tuneloop(args: string[], options: { quiet?: boolean; mayFail?: boolean } = {}): string {
  if (!options.quiet) process.stdout.write(`$ tuneloop ${args.join(' ')}\n`);
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { cwd: ROOT, env, encoding: 'utf8', stdio: ['ignore', 'pipe', options.mayFail ? 'pipe' : 'inherit'] });
  if (!options.quiet) process.stdout.write(result.stdout);
  if (result.status !== 0 && options.mayFail) {
    process.stdout.write(result.stderr);
    return `FAILED ${result.stdout}`;
  }
  if (result.status !== 0) throw new Error(`tuneloop ${args[0]} ${args[1] ?? ''} failed (exit ${result.status})`);
  return result.stdout;
}

/** A free loopback port, so the hub can be told where the model server will listen before it starts. */
function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolvePort(address.port) : reject(new Error('no port'))));
    });
  });
}

const sleep = (ms: number) => new Promise((resolveSleep) => setTimeout(resolveSleep, ms));

/** Starts a long-running `tuneloop` command and resolves once a line of its output matches. */
function background(args: string[], ready: RegExp, extraEnv: NodeJS.ProcessEnv = {}, command: string[] = [process.execPath, '--import', 'tsx', 'src/cli.ts']): Promise<RegExpExecArray> {
  const [program = process.execPath, ...prefix] = command;
  const child = spawn(program, [...prefix, ...args], { cwd: ROOT, env: { ...env, ...extraEnv }, stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  // Everything a background process prints also goes to a log under ./.tuneloop-demo (the hub's JSON log, the servers').
  const log = createWriteStream(join(HOME, `${args[0] === '-m' ? (args[1] ?? 'python') : args[0]}${args[0] === 'sandbox' ? `-${args[1]}` : ''}.log`), { flags: 'a' });
  child.stdout?.pipe(log);
  return new Promise((resolvePromise, reject) => {
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk;
      const match = ready.exec(output);
      if (match) resolvePromise(match);
    });
    child.once('exit', (code) => reject(new Error(`tuneloop ${args.join(' ')} exited (${code}) before it was ready:\n${output}`)));
  });
}

/** Reads the compliance channel back from the Slack sandbox until the hub has posted every alert (or 30 s pass). */
async function alertsInSlack(apiUrl: string, expected: number): Promise<number> {
  let posted = 0;
  for (let attempt = 0; attempt < 60 && posted < expected; attempt++) {
    const response = await fetch(`${apiUrl}conversations.history?channel=C0SUPPORT01&limit=1000`, { headers: { Authorization: 'Bearer xoxb-sandbox-bot-token' } });
    const body = (await response.json()) as { ok: boolean; messages?: Array<{ text?: string }> };
    posted = (body.messages ?? []).filter((message) => message.text?.includes('ompliance')).length;
    if (posted < expected) await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return posted;
}

async function stopChildren() {
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((done) => {
          if (child.exitCode !== null) return done();
          child.once('exit', () => done());
          child.kill('SIGTERM');
        }),
    ),
  );
}

async function main() {
  rmSync(HOME, { recursive: true, force: true });
  mkdirSync(HOME, { recursive: true });

  step('1. Vendor sandboxes on loopback');
  const [, zendeskUrl] = await background(['sandbox', 'zendesk', '--port', '0', '--seed', '7', '--tickets', String(TICKETS)], /on (http:\/\/127\.0\.0\.1:\d+)/);
  const [, slackApiUrl] = await background(['sandbox', 'slack', '--port', '0', '--tickets', '10'], /on (http:\/\/127\.0\.0\.1:\d+\/api\/)/);
  process.stdout.write(`Zendesk: ${zendeskUrl} (${TICKETS} tickets from real support conversations)\nSlack:   ${slackApiUrl}\n`);
  env.SLACK_API_URL = slackApiUrl;
  env.SLACK_BOT_TOKEN = 'xoxb-sandbox-bot-token';

  const modelPort = await freePort();
  env.INFERENCE_BASE_URL = `http://127.0.0.1:${modelPort}/v1`;

  step('2. The hub (embedded PostgreSQL under ./.tuneloop-demo)');
  const [, hubUrl] = await background(['start'], /"url":"(http:\/\/127\.0\.0\.1:\d+)"/, { LOG_LEVEL: 'info' });
  process.stdout.write(`hub: ${hubUrl}\n`);

  step('3. Connect Zendesk and harvest');
  tuneloop(['connections', 'add', '--vendor', 'zendesk', '--name', 'zendesk-demo', '--setting', `baseUrl=${zendeskUrl}`, '--credential', 'type=api_token', '--credential', 'email=admin@support.example-shop.com', '--credential', 'token=sandbox-api-token']);
  tuneloop(['connections', 'test', 'zendesk-demo']);
  tuneloop(['harvest', 'run', 'zendesk-demo']);

  step('4. Compliance: scan the harvested messages against policies/compliance.yaml');
  tuneloop(['alerts', 'scan', '--connection', 'zendesk-demo']);
  const alerts = tuneloop(['alerts', 'list'], { quiet: true });
  process.stdout.write(`${alerts.split('\n').slice(0, 5).join('\n')}\n… (${alerts.trim().split('\n').length} alerts)\n`);
  const posted = await alertsInSlack(slackApiUrl ?? '', alerts.trim().split('\n').length);
  process.stdout.write(`the hub posted ${posted} alert messages to #support in the Slack sandbox (Block Kit, with Acknowledge / Escalate / False positive / Resolve buttons)\n`);

  step('5. A curated, PII-scrubbed dataset version');
  tuneloop(['dataset', 'create', '--name', 'replies', '--task', 'reply', '--connections', 'zendesk-demo']);
  tuneloop(['dataset', 'build', 'replies']);
  const trainFile = join(HOME, 'replies-train.jsonl');
  tuneloop(['dataset', 'export', 'replies@latest', '--split', 'train', '--out', trainFile]);

  step('6. A tiny fine-tune on the CPU (a random 2-layer model: the loop, not the quality)');
  tuneloop(['worker', 'setup']);
  const tinyModel = join(HOME, 'tiny-model');
  const built = spawnSync(PYTHON, ['-m', 'tuneloop_worker', 'tiny-model', '--data', trainFile, '--out', tinyModel], { cwd: join(ROOT, 'gpu-worker'), encoding: 'utf8' });
  if (built.status !== 0 || !existsSync(tinyModel)) throw new Error(`building the tiny model failed:\n${built.stderr}`);
  process.stdout.write(`tiny model: ${tinyModel}\n`);
  tuneloop(['train', 'start', '--model', tinyModel, '--dataset-version', 'replies@latest', '--hp', 'max_steps=20', '--hp', 'eval_every_steps=10', '--hp', 'max_seq_length=256', '--suffix', 'demo']);
  tuneloop(['train', 'list']);

  const [candidate] = JSON.parse(tuneloop(['models', 'list', '--task', 'reply', '--json'], { quiet: true })) as Array<{ id: string }>;
  if (!candidate) throw new Error('training registered no model');

  step('7. Evaluation: the candidate vs its base model on the held-out test split (model.evaluate, run by the hub)');
  let shown: { evaluation?: { status: string; report?: { candidate: Record<string, number>; baseline: Record<string, number> } } } = {};
  for (let attempt = 0; attempt < 90; attempt++) {
    shown = JSON.parse(tuneloop(['models', 'show', candidate.id], { quiet: true })) as typeof shown;
    if (shown.evaluation?.status === 'succeeded' || shown.evaluation?.status === 'failed') break;
    await sleep(2_000);
  }
  const report = shown.evaluation?.report;
  if (!report) throw new Error(`the evaluation did not finish (${shown.evaluation?.status ?? 'none'})`);
  const number = (value: number | undefined) => (typeof value === 'number' ? Number(value.toPrecision(4)).toString() : 'n/a');
  for (const metric of ['eval_loss', 'chrf', 'rouge_l', 'latency_p50_ms']) process.stdout.write(`${metric.padEnd(15)} candidate ${number(report.candidate[metric]).padEnd(10)} base ${number(report.baseline[metric])}\n`);

  step('8. Promotion through the gate');
  const promoted = tuneloop(['models', 'promote', candidate.id], { mayFail: true });
  if (promoted.startsWith('FAILED')) {
    process.stdout.write('The gate blocked it; a person may still promote, on the record:\n');
    tuneloop(['models', 'promote', candidate.id, '--force', '--reason', 'demo: a random tiny model, to show the loop']);
  }

  step('9. The model server: gpu-worker serve (OpenAI protocol; the hub loads the LoRA adapter at run time)');
  const [, servingUrl] = await background(['-m', 'tuneloop_worker', 'serve', '--model', tinyModel, '--port', String(modelPort)], /"base_url": ?"([^"]+)"/, {}, [PYTHON]);
  process.stdout.write(`model server: ${servingUrl}\n`);

  step('10. Draft replies as internal notes on open Zendesk tickets (draft.generate, run by the hub)');
  const batch = tuneloop(['draft', 'batch', 'zendesk-demo', '--limit', '5']);
  const batchId = /batch ([0-9a-f-]{36})/.exec(batch)?.[1];
  const status = JSON.parse(tuneloop(['draft', 'status', batchId ?? '', '--json'], { quiet: true })) as { sourceIds: string[] };
  const auth = `Basic ${Buffer.from('admin@support.example-shop.com/token:sandbox-api-token').toString('base64')}`;
  for (const ticket of status.sourceIds) {
    const comments = (await (await fetch(`${zendeskUrl}/api/v2/tickets/${ticket}/comments.json`, { headers: { Authorization: auth } })).json()) as { comments: Array<{ public: boolean; body: string }> };
    const note = comments.comments.find((comment) => !comment.public && comment.body.includes('tuneloop draft'));
    if (!note) continue;
    process.stdout.write(`Zendesk ticket ${ticket}, internal note (what the agent sees; a tiny random model writes nonsense):\n${note.body.split('\n').map((line) => `  | ${line}`).join('\n')}\n`);
    break;
  }

  step('Done');
  process.stdout.write(
    [
      `Everything above ran through the hub at ${hubUrl} (API token: npm run tuneloop -- token create --name me, with TUNELOOP_HOME=.tuneloop-demo).`,
      'The Slack sandbox holds the alerts, the run\'s progress message and the promotion; `tuneloop models`, `tuneloop review` and `tuneloop drift` go on from here.',
      '',
    ].join('\n'),
  );
}

main()
  .catch((error: unknown) => {
    process.stderr.write(`\ndemo failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  })
  .finally(stopChildren);
