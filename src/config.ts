/**
 * Every setting of the hub, read once from the environment (and an optional .env) and validated.
 * A bad value stops the process before it serves anything, with one line naming the variable.
 * The README's settings table is generated from SETTINGS (`npm run tuneloop -- config docs`).
 */
import { z } from 'zod';

const port = z.coerce.number().int().min(0).max(65_535);
const positiveInt = z.coerce.number().int().positive();
const bool = z.enum(['true', 'false', '1', '0']).transform((value) => value === 'true' || value === '1');

/** A setting holding JSON, validated by `schema`; the default is the schema's own default. */
function jsonSetting<T extends z.ZodType>(schema: T) {
  return z
    .string()
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be JSON' });
        return z.NEVER;
      }
    })
    .pipe(schema)
    .default(schema.parse(undefined) as never);
}

const perMillion = z.number().nonnegative();
const PriceTable = z.record(z.string().min(1), z.strictObject({ input: perMillion, output: perMillion })).default({
  'gpt-4o-mini-2024-07-18': { input: 0.3, output: 1.2 },
  'gpt-4o-2024-08-06': { input: 3.75, output: 15 },
  'gpt-4.1-mini-2025-04-14': { input: 0.8, output: 3.2 },
  'gpt-4.1-2025-04-14': { input: 3, output: 12 },
});
const TrainingPriceTable = z
  .strictObject({ gpu_hour: z.number().nonnegative().default(0), cpu_hour: z.number().nonnegative().default(0), openai_per_1m_trained_tokens: z.record(z.string().min(1), perMillion).default({}) })
  .default({ gpu_hour: 0, cpu_hour: 0, openai_per_1m_trained_tokens: { 'gpt-4o-mini-2024-07-18': 3, 'gpt-4o-2024-08-06': 25, 'gpt-4.1-mini-2025-04-14': 5, 'gpt-4.1-2025-04-14': 25 } });
export type PriceTable = z.infer<typeof PriceTable>;
export type TrainingPriceTable = z.infer<typeof TrainingPriceTable>;

interface Setting {
  schema: z.ZodType;
  doc: string;
  secret?: boolean;
}

/** The settings, by environment variable. Defaults run everything on one machine. */
export const SETTINGS = {
  DATABASE_URL: {
    schema: z.url({ protocol: /^postgres(ql)?$/, error: 'must be a postgres:// URL' }).optional(),
    doc: 'PostgreSQL connection URL. Unset: an embedded PostgreSQL is started under TUNELOOP_HOME/pg.',
    secret: true,
  },
  TUNELOOP_HOME: { schema: z.string().min(1).default('./.tuneloop'), doc: 'Directory for local state: embedded PostgreSQL, artifacts.' },
  HOST: { schema: z.string().min(1).default('127.0.0.1'), doc: 'Address the HTTP server listens on.' },
  PORT: { schema: port.default(8080), doc: 'Port the HTTP server listens on (0 picks a free one).' },
  METRICS_PORT: { schema: port.optional(), doc: 'Serve `GET /metrics` on this port only (on METRICS_HOST), not on the API\'s port. Unset: on the API\'s port.' },
  METRICS_HOST: { schema: z.string().min(1).default('127.0.0.1'), doc: 'Address the METRICS_PORT server listens on.' },
  METRICS_TOKEN: {
    schema: z.string().min(16, 'must be at least 16 characters').optional(),
    doc: 'Bearer token `GET /metrics` requires (Prometheus `authorization: {credentials: …}`). Unset: no token; keep /metrics on loopback or on METRICS_PORT then.',
    secret: true,
  },
  DASHBOARD_SESSION_MINUTES: { schema: positiveInt.max(7 * 24 * 60).default(480), doc: 'How long a dashboard log-in lasts before the login page is shown again (minutes).' },
  LOG_LEVEL: { schema: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'), doc: 'Log level.' },
  LOG_FORMAT: { schema: z.enum(['auto', 'json', 'pretty']).default('auto'), doc: 'auto: pretty in a terminal, JSON otherwise.' },
  API_DB_POOL_SIZE: {
    schema: positiveInt.max(200).default(10),
    doc: 'Database connections the HTTP API keeps for itself, apart from the job handlers\' pool, so busy or stuck jobs cannot starve requests.',
  },
  WORKER_CONCURRENCY: { schema: positiveInt.max(64).default(2), doc: 'Jobs of each queue one process runs at once.' },
  SHUTDOWN_TIMEOUT_MS: { schema: positiveInt.default(8_000), doc: 'How long shutdown waits for running jobs before it stops them.' },
  QUEUE_SCHEMA: { schema: z.string().regex(/^[a-z_][a-z0-9_]*$/, 'must be a lowercase SQL identifier').default('pgboss'), doc: 'PostgreSQL schema of the pg-boss queue.' },
  TUNELOOP_ENCRYPTION_KEY: {
    schema: z
      .string()
      .regex(/^[A-Za-z0-9+/]{43}=$/, 'must be 32 bytes, base64-encoded (openssl rand -base64 32)')
      .optional(),
    doc: 'Key for vendor credentials at rest (AES-256-GCM), base64 of 32 bytes. Unset: generated once into TUNELOOP_HOME/encryption-key. Set it when several processes or machines share the database.',
    secret: true,
  },
  TUNELOOP_ENCRYPTION_KEYS_PREVIOUS: {
    schema: z
      .string()
      .regex(/^[A-Za-z0-9+/]{43}=(,[A-Za-z0-9+/]{43}=)*$/, 'must be comma-separated base64 32-byte keys')
      .optional(),
    doc: 'Older keys that may still open stored credentials while rotating (`tuneloop connections rekey` re-seals them with the current key).',
    secret: true,
  },
  HARVEST_BATCH_SIZE: { schema: positiveInt.max(1000).default(500), doc: 'Conversations stored per transaction during a harvest (each batch commits with its cursor; fewer, larger transactions store faster).' },
  TUNELOOP_WORKER_PYTHON: {
    schema: z.string().min(1).optional(),
    doc: 'Python that runs the gpu-worker (`python -m tuneloop_worker`). Unset: gpu-worker/.venv/bin/python (`tuneloop worker setup` creates it).',
  },
  TRAINING_ACCELERATE_ARGS: {
    schema: z.string().trim().min(1).optional(),
    doc: 'Set to run local training under `accelerate launch` with these arguments, e.g. `--multi_gpu --num_processes 4` or `--config_file fsdp.yaml` (see gpu-worker/README.md). Unset: one process.',
  },
  HTTP_BODY_LIMIT_BYTES: {
    schema: positiveInt.max(1024 * 1024 * 1024).default(4 * 1024 * 1024),
    doc: 'Largest request body any route accepts, in bytes (the upload routes have their own limits). Webhooks are held to 1 MiB.',
  },
  TRAINING_BASE_MODELS: {
    schema: z
      .string()
      .trim()
      .min(1)
      .transform((list) => list.split(',').map((name) => name.trim()).filter(Boolean))
      .pipe(z.array(z.string().min(1)).min(1))
      .optional(),
    doc: 'Comma-separated base models (hub names or local paths) local fine-tuning may start from; any other is refused with 400. Unset: any (set it in production: the worker downloads and loads what it is named).',
  },
  TRAINING_UPLOAD_MAX_BYTES: { schema: positiveInt.default(512 * 1024 * 1024), doc: 'Largest fine-tuning file `POST /api/v1/files` accepts, in bytes.' },
  OPENAI_API_KEY: { schema: z.string().min(1).optional(), doc: 'API key for the `openai` fine-tuning backend. Unset: only the local backend is offered.', secret: true },
  OPENAI_BASE_URL: {
    schema: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
    doc: 'Base URL of the OpenAI API (e.g. `http://127.0.0.1:4020/v1` for `tuneloop sandbox openai`). Unset: the official endpoint.',
  },
  OPENAI_POLL_INTERVAL_MS: { schema: positiveInt.default(10_000), doc: 'How often a running OpenAI fine-tuning job is polled for status, events and checkpoints.' },
  INFERENCE_BASE_URL: {
    schema: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).default('http://127.0.0.1:8000/v1'),
    doc: 'OpenAI-compatible model server for locally trained models (`python -m tuneloop_worker serve`, or vLLM with `--enable-lora` and VLLM_ALLOW_RUNTIME_LORA_UPDATING=True). Models of the `openai` backend use OPENAI_BASE_URL.',
  },
  INFERENCE_API_KEY: { schema: z.string().min(1).optional(), doc: 'API key of the model server at INFERENCE_BASE_URL (its `--api-key`). Unset: none is sent.', secret: true },
  INFERENCE_TIMEOUT_MS: { schema: positiveInt.default(30_000), doc: 'Timeout of one model request (each retry gets its own).' },
  INFERENCE_MAX_RETRIES: { schema: z.coerce.number().int().min(0).max(10).default(2), doc: 'Retries of a model request after a connection error, timeout, 429 or 5xx (with backoff).' },
  MASK_PROMPTS: {
    schema: z.enum(['external', 'all', 'off'], { error: 'must be "external", "all" or "off"' }).default('external'),
    doc: 'Personal data in prompts is replaced by placeholders before they leave, and put back in the answer: `external` (models served by OpenAI), `all` (the local model server too), `off`.',
  },
  INFERENCE_BREAKER_FAILURES: { schema: positiveInt.max(1000).default(5), doc: 'Consecutive failed model requests to one server that open its circuit breaker (requests then fail at once as "model unavailable").' },
  INFERENCE_BREAKER_COOLDOWN_MS: { schema: positiveInt.default(15_000), doc: 'How long an open circuit breaker waits before it lets one trial request through.' },
  INFERENCE_BASE_URLS: {
    schema: z
      .string()
      .transform((value) => value.split(',').map((part) => part.trim()).filter(Boolean))
      .pipe(z.array(z.url({ protocol: /^https?$/, error: 'each must be an http(s) URL' })).min(1))
      .optional(),
    doc: 'Several model servers for local models, comma-separated, tried in order: the inference API fails over to the next when one is down (health-checked, one circuit breaker each). Unset: INFERENCE_BASE_URL alone.',
  },
  INFERENCE_HEALTH_INTERVAL_MS: { schema: positiveInt.default(10_000), doc: 'How often the inference API checks each model server (`GET /models`) while it serves.' },
  INFERENCE_MAX_CONTEXT_TOKENS: { schema: positiveInt.default(8_192), doc: 'Context window of served models: a request whose prompt plus max_tokens exceeds it is refused with 400.' },
  INFERENCE_PRICES: {
    schema: jsonSetting(PriceTable),
    doc: 'Prices of served models in USD per 1M tokens, JSON by model id, alias, base model or provider model (`*` for the rest): `{"gpt-4o-mini-2024-07-18": {"input": 0.3, "output": 1.2}}`. The defaults are OpenAI\'s published prices for its fine-tuned models.',
  },
  TRAINING_PRICES: {
    schema: jsonSetting(TrainingPriceTable),
    doc: 'Prices of fine-tuning runs in USD, JSON: `gpu_hour` and `cpu_hour` for local runs, `openai_per_1m_trained_tokens` by base model for OpenAI jobs (defaults: OpenAI\'s published prices).',
  },
  INFERENCE_KEEP_SCRUBBED_BODIES: { schema: bool.default(false), doc: 'Keep PII-scrubbed copies of inference requests and answers (for drift and later training). Off: only counts are stored.' },
  INFERENCE_BATCH_CONCURRENCY: { schema: positiveInt.max(64).default(4), doc: 'Lines of one batch sent to the model server at once.' },
  COMPLIANCE_POLICY_FILE: {
    schema: z.string().min(1).default('policies/compliance.yaml'),
    doc: 'Compliance policies (YAML, validated at start-up; a bad file stops the hub with the policy and field named).',
  },
  COMPLIANCE_MODEL_MIN_CONFIDENCE: {
    schema: z.coerce.number().min(0).max(1).default(0.5),
    doc: 'When a compliance model is in production: the confidence (0..1) its "violation" answer needs to raise an alert beside the rule policies (answers without a confidence count as sure).',
  },
  DOCUMENT_MAX_BYTES: { schema: positiveInt.default(25 * 1024 * 1024), doc: 'Largest document (attachment or `POST /api/v1/documents` upload) whose text is extracted and scanned, in bytes; a larger one is skipped as `too_large`.' },
  DOCUMENT_MAX_PAGES: { schema: positiveInt.max(100_000).default(500), doc: 'PDFs with more pages are skipped as `too_many_pages` (text extraction is linear in pages).' },
  DOCUMENT_MAX_UNPACKED_BYTES: {
    schema: positiveInt.default(100 * 1024 * 1024),
    doc: 'Largest total a DOCX (a zip) may unpack to, and 100× its packed size at most; more is skipped as `zip_bomb` before anything is inflated.',
  },
  COMPLIANCE_SLACK_CHANNEL: {
    schema: z.string().regex(/^[CG][A-Z0-9]{2,}$/, 'must be a Slack channel id such as C0123ABCD').optional(),
    doc: 'Slack channel id that receives compliance alerts (the bot must be a member). Unset: alerts are not posted to Slack.',
  },
  SLACK_NOTIFY_CHANNEL: {
    schema: z.string().regex(/^[CG][A-Z0-9]{2,}$/, 'must be a Slack channel id such as C0123ABCD').optional(),
    doc: 'Slack channel id for training progress (one message per run, updated as it moves), promotions and drift. Unset: not posted.',
  },
  SLACK_BOT_TOKEN: { schema: z.string().regex(/^xoxb-/, 'must be a bot token (xoxb-…)').optional(), doc: 'Bot token of the tuneloop Slack app (scope chat:write) for alerts and notifications.', secret: true },
  SLACK_SIGNING_SECRET: {
    schema: z.string().regex(/^[0-9a-f]{32}$/i, 'must be the app\'s signing secret (32 hex characters, Basic Information > App Credentials)').optional(),
    doc: 'Signing secret of the tuneloop Slack app: every request to `POST /slack/events` is verified with it (v0 signature, five-minute window). Unset: the Slack app is off in HTTP mode.',
    secret: true,
  },
  SLACK_APP_TOKEN: {
    schema: z.string().regex(/^xapp-/, 'must be an app-level token (xapp-…) with connections:write').optional(),
    doc: 'App-level token (xapp-…, scope connections:write): the Slack app connects over Socket Mode instead of receiving HTTP requests, so no public URL is needed.',
    secret: true,
  },
  SLACK_GRANTS: {
    schema: z
      .string()
      .regex(/^\s*(admin|operator|compliance|viewer)\s*=\s*[UWS][A-Z0-9]+(\s*,\s*[UWS][A-Z0-9]+)*(\s*;\s*(admin|operator|compliance|viewer)\s*=\s*[UWS][A-Z0-9]+(\s*,\s*[UWS][A-Z0-9]+)*)*\s*;?\s*$/, 'must look like "admin=U0123;operator=S0456,U0789" (Slack user ids U…/W…, user group ids S…)')
      .optional(),
    doc: 'Roles of Slack users and user groups in the Slack app, beside those granted with `tuneloop slack grant` (e.g. `admin=U0123;operator=S0456,U0789`). Nobody has a role otherwise.',
  },
  SLACK_API_URL: {
    schema: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).default('https://slack.com/api/'),
    doc: 'Slack Web API base URL (e.g. `http://127.0.0.1:4030/api/` for `tuneloop sandbox slack`).',
  },
  GATE_TOLERANCE: {
    schema: z.coerce.number().min(0).default(0),
    doc: 'Promotion gate: how much worse than production a candidate may be on each primary metric (chrF, eval loss, macro-F1, recall, precision) and still be promoted without `--force`.',
  },
  GATE_METRIC_TOLERANCES: {
    schema: z
      .string()
      .regex(/^[a-z_0-9]+=\d+(\.\d+)?(,[a-z_0-9]+=\d+(\.\d+)?)*$/, 'must be metric=number pairs, e.g. chrf=0.5,eval_loss=0.02')
      .transform((text) => Object.fromEntries(text.split(',').map((pair) => [pair.split('=')[0], Number(pair.split('=')[1])])) as Record<string, number>)
      .optional(),
    doc: 'Per-metric gate tolerances that override GATE_TOLERANCE, e.g. `chrf=0.5,eval_loss=0.02` (chrF is 0–100; loss in nats).',
  },
  EVALUATION_MAX_EXAMPLES: { schema: positiveInt.max(100_000).default(200), doc: 'Test examples a model evaluation (`model.evaluate`) scores: the first N of the dataset version\'s test split.' },
  EVALUATION_MAX_NEW_TOKENS: { schema: positiveInt.max(8192).default(256), doc: 'Tokens a model may generate per test example during an evaluation (greedy).' },
  EVENTS_ALLOW_PRIVATE_URLS: {
    schema: bool.default(false),
    doc: 'Allow event subscriptions (outgoing webhooks) to loopback, private and link-local addresses. Off: such URLs are refused, also when a host name resolves to one.',
  },
  VENDOR_ALLOWED_HOSTS: {
    schema: z
      .string()
      .optional()
      .transform((text) => (text ?? '').split(',').map((host) => host.trim()).filter(Boolean))
      .pipe(z.array(z.string().regex(/^[\w.:[\]-]+$/, 'a comma-separated list of host names or IP addresses'))),
    doc: 'Hosts that connection URL settings (Zendesk/HubSpot/Intercom `baseUrl`, Salesforce `instanceUrl`/`loginUrl`, Slack `apiUrl`) may point to besides the vendors\' own https domains, over http or https, e.g. `127.0.0.1` for the loopback sandboxes. Empty: only the vendors\' domains.',
  },
  EVENTS_RETRY_LIMIT: { schema: z.coerce.number().int().min(0).max(30).default(10), doc: 'Retries of an outgoing webhook delivery (exponential backoff) before it is marked failed.' },
  EVENTS_RETRY_DELAY_SECONDS: { schema: positiveInt.default(10), doc: 'First retry delay of an outgoing webhook delivery; doubled on each retry, with jitter.' },
  EVENTS_RETRY_DELAY_MAX_SECONDS: { schema: positiveInt.default(3600), doc: 'Longest wait between two attempts of an outgoing webhook delivery.' },
  WEBHOOK_DELIVERY_RETENTION_DAYS: {
    // Longer than any replay window (Salesforce bearer: one day), so a replay always finds its record.
    schema: z.coerce.number().int().min(2).max(3650).default(30),
    doc: 'Days inbound webhook delivery records (the replay dedup) and finished outgoing deliveries are kept; pruned daily.',
  },
  DRIFT_CHECK_CRON: {
    schema: z.string().trim().regex(/^(\S+\s+){4}\S+$/, 'must be a 5-field cron expression').default('0 * * * *'),
    doc: 'When drift is checked for every task with a production model, and retraining policies are evaluated.',
  },
  DRIFT_JS_THRESHOLD: { schema: z.coerce.number().min(0).max(1).default(0.2), doc: 'Jensen-Shannon distance (0..1) of the language or a label distribution, live vs training, above which a task has drifted.' },
  DRIFT_LENGTH_CHANGE_THRESHOLD: { schema: z.coerce.number().positive().default(0.5), doc: 'Relative change of the median customer-message length (0.5 = ±50 %) above which a task has drifted.' },
  DRIFT_UNSEEN_TOKENS_THRESHOLD: {
    schema: z.coerce.number().min(0).max(1).default(0.15),
    doc: 'Share of live words not in the training vocabulary, beyond the share already seen in the held-out split, above which a task has drifted.',
  },
  DRIFT_MIN_LIVE_MESSAGES: { schema: positiveInt.default(50), doc: 'Fewest live customer messages a drift check needs; with fewer it reports "not enough data" and never drifted.' },
  RETRIEVAL_TASKS: {
    schema: z
      .enum(['reply', 'none'], { error: 'must be "reply" or "none" (only reply prompts take retrieved examples)' })
      .transform((value) => (value === 'none' ? [] : [value]))
      .default(['reply']),
    doc: 'Tasks whose prompts get similar resolved conversations from full-text search: `reply`, or `none` to switch retrieval off. Reply evaluations then also score the candidate with them (`retrieval` in the report).',
  },
  LIVE_HARVEST: {
    schema: bool.default(true),
    doc: 'Watch connections that push changes over a held connection (email: IMAP IDLE) and harvest each change at once, in the process that serves HTTP. `false`: their harvests run only on schedule or on demand.',
  },
  LIVE_HARVEST_REFRESH_MS: { schema: positiveInt.default(30_000), doc: 'How often the list of connections to watch live is read again (new mailboxes start being watched within this time).' },
  DRAFTS_FROM_HARVEST: {
    schema: bool.default(false),
    doc: 'Harvests (after the first one of a connection) queue drafts and triage for tickets whose last message is a customer\'s and that have no draft yet: the polling fallback where webhooks cannot reach the hub.',
  },
  TRIAGE_MIN_CONFIDENCE: { schema: z.coerce.number().min(0).max(1).default(0.7), doc: 'Confidence (0..1) a triage answer needs before its tags, priority and fields are written into the ticket; below it the triage is only recorded.' },
  DRAFT_ACCEPT_SIMILARITY: { schema: z.coerce.number().min(0).max(1).default(0.5), doc: 'Similarity (chrF, 0..1) of the agent\'s final public reply to the draft at or above which the draft counts as accepted.' },
} satisfies Record<string, Setting>;

type Settings = typeof SETTINGS;
export type Config = { [K in keyof Settings]: z.infer<Settings[K]['schema']> };

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const ConfigSchema = z.object(Object.fromEntries(Object.entries(SETTINGS).map(([key, setting]) => [key, setting.schema]))) as unknown as z.ZodType<Config>;

/** Validates the environment; empty strings count as unset (a blank line in .env is not a value). */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const input: Record<string, string> = {};
  for (const key of Object.keys(SETTINGS)) {
    const value = env[key];
    if (value !== undefined && value.trim() !== '') input[key] = value.trim();
  }
  const result = ConfigSchema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const key = String(issue?.path[0] ?? 'config');
  const secret = key in SETTINGS && (SETTINGS[key as keyof Settings] as Setting).secret;
  // A secret's value is never echoed, not even when it is wrong.
  const shown = secret || input[key] === undefined ? '' : ` (got "${input[key]}")`;
  throw new ConfigError(`${key}: ${issue?.message ?? 'invalid'}${shown}`);
}

/** The README's settings table. */
export function settingsMarkdown(): string {
  const rows = Object.entries(SETTINGS).map(([key, setting]) => {
    const defaultValue = (setting.schema as z.ZodType).safeParse(undefined);
    const shown = defaultValue.success && defaultValue.data !== undefined && String(defaultValue.data) !== '' ? `\`${String(defaultValue.data)}\`` : '—';
    return `| \`${key}\` | ${shown} | ${setting.doc} |`;
  });
  return ['| variable | default | meaning |', '| --- | --- | --- |', ...rows].join('\n');
}
