/**
 * The contract between tuneloop and every vendor: harvest connectors and write-back actions.
 * Nothing outside `integrations/<vendor>/` imports a vendor SDK; `src/` only sees these types.
 */
import type { Readable } from 'node:stream';
import { z } from 'zod';

export const SOURCES = ['zendesk', 'salesforce', 'hubspot', 'slack', 'intercom'] as const;
export type Source = (typeof SOURCES)[number];

export type AuthorRole = 'customer' | 'agent' | 'bot' | 'system';
export type Visibility = 'public' | 'internal';

/** Someone the vendor tells us about. Kept so the PII scrubber knows exactly whom to remove. */
export interface Person {
  id: string;
  name: string | null;
  email: string | null;
}

export interface Message {
  /** The vendor's id of this message (comment id, EmailMessage id, …). Unique within its conversation. */
  sourceId: string;
  authorRole: AuthorRole;
  author: Person | null;
  visibility: Visibility;
  /** Plain text; HTML is turned into text by the connector. */
  body: string;
  createdAt: Date;
  attachments: string[];
}

export interface Conversation {
  source: Source;
  /** The vendor's id of the ticket/case/thread. (source, sourceId) is unique. */
  sourceId: string;
  subject: string | null;
  status: string | null;
  priority: string | null;
  channel: string | null;
  language: string | null;
  tags: string[];
  customFields: Record<string, unknown>;
  requester: Person | null;
  assignee: Person | null;
  organizationId: string | null;
  createdAt: Date;
  updatedAt: Date;
  /** The vendor deleted it: we keep the row marked, and curation skips it. */
  deleted: boolean;
  /** Ordered by createdAt. */
  messages: Message[];
}

/** A connector-specific cursor; must survive JSON round trips (it is stored in Postgres). */
export type Cursor = Record<string, unknown>;

export interface HarvestBatch {
  conversations: Conversation[];
  /** The cursor to resume from once this batch is stored. Stored in the same transaction. */
  cursor: Cursor;
  /**
   * HTTP requests sent to the vendor since the previous batch (retries included), so each run
   * records what it spent of the customer's API quota. Counted with the batch, in its transaction.
   */
  requests?: number;
}

export interface VendorLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export interface HarvestContext {
  signal?: AbortSignal;
  log?: VendorLogger;
}

export type TestResult = { ok: true; detail: string } | { ok: false; detail: string };

export interface Connector {
  readonly source: Source;
  /**
   * Yields batches from `cursor` onwards (null: from the beginning, or `since`).
   * Must be safe to resume from any cursor it yielded: upserts absorb replays.
   */
  harvest(cursor: Cursor | null, ctx?: HarvestContext): AsyncIterable<HarvestBatch>;
  /** Calls the vendor once and reports a human-readable result, changing nothing. */
  test(): Promise<TestResult>;
}

/**
 * What a vendor folder exports so the hub can build connectors from a stored connection
 * without knowing the vendor: zod schemas for settings and (encrypted at rest) credentials.
 */
export interface ConnectorFactory<S extends z.ZodType = z.ZodType, C extends z.ZodType = z.ZodType> {
  readonly source: Source;
  readonly settingsSchema: S;
  readonly credentialsSchema: C;
  create(settings: z.infer<S>, credentials: z.infer<C>, options?: ConnectorOptions): Connector;
}

export interface ConnectorOptions {
  /** Called when the connector refreshes an OAuth token, so the hub can store the new one. */
  onCredentialsRefreshed?: (credentials: Record<string, unknown>) => Promise<void>;
  /** Earliest update time for a first harvest (no cursor yet). */
  since?: Date;
  /** Conversations per yielded batch (upper bound). */
  batchSize?: number;
  log?: VendorLogger;
}

export type VendorErrorKind =
  | 'auth' // 401: credentials wrong, expired beyond refresh, revoked
  | 'forbidden' // 403: missing scope/permission
  | 'not_found' // 404 of the account/endpoint: wrong subdomain or instance
  | 'rate_limited' // 429 or vendor API limit
  | 'transient' // 5xx, timeouts, connection resets
  | 'network' // host not found, connection refused
  | 'malformed'; // response did not match the documented shape

/** Every vendor failure is turned into this, with a message a person can act on and no secrets. */
export class VendorError extends Error {
  readonly kind: VendorErrorKind;
  readonly status: number | null;
  /** For rate limits: how long the vendor asked us to wait. */
  readonly retryAfterMs: number | null;

  constructor(kind: VendorErrorKind, message: string, opts: { status?: number | null; retryAfterMs?: number | null; cause?: unknown } = {}) {
    super(message, { cause: opts.cause });
    this.name = 'VendorError';
    this.kind = kind;
    this.status = opts.status ?? null;
    this.retryAfterMs = opts.retryAfterMs ?? null;
  }

  get retryable(): boolean {
    return this.kind === 'rate_limited' || this.kind === 'transient' || this.kind === 'network';
  }
}

/** A triage to write into a ticket. Vendors add tags (never remove), and fill empty fields only. */
export interface TriageChange {
  tags: string[];
  /** The model's priority label (low|normal|high|urgent); each vendor maps it to its own values. */
  priority?: string;
  /** Logical fields: intent, category, language, confidence. Each vendor writes the ones it has a place for. */
  fields: Record<string, string>;
}

/** What a triage changed ("tags", "priority", "field:confidence") and what it left alone, with why. */
export interface TriageOutcome {
  applied: string[];
  skipped: string[];
}

/**
 * Writing back into a vendor's ticket: read it, find or post tuneloop's internal note, apply a
 * triage. One vendor call at a time; reads are retried (integrations/common/retry.ts); a post is retried
 * only where the vendor refused it (429) or after checking that the note is not there already.
 */
export interface WriteBack {
  readonly source: Source;
  /** Why this ticket can't take a draft or a triage (e.g. HubSpot inbox threads); null when it can. */
  unsupported(sourceId: string, task: 'reply' | 'triage'): string | null;
  /** Throws VendorError kind 'not_found' when the ticket does not exist (or was deleted). */
  fetchTicket(sourceId: string, signal?: AbortSignal): Promise<Conversation>;
  /** The id of an internal note on the ticket whose text contains `marker`, or null. */
  findNote(sourceId: string, marker: string, signal?: AbortSignal): Promise<string | null>;
  /** Posts `body` (which contains `marker`) as an internal note, at most once per marker. */
  postInternalNote(sourceId: string, body: string, marker: string, signal?: AbortSignal): Promise<{ noteId: string }>;
  applyTriage(sourceId: string, triage: TriageChange, signal?: AbortSignal): Promise<TriageOutcome>;
}

export interface WriteBackOptions {
  onCredentialsRefreshed?: (credentials: Record<string, unknown>) => Promise<void>;
  log?: VendorLogger;
  /** Overrides the shared retry policy (tests shorten the backoff). */
  retryPolicy?: { maxAttempts?: number; baseDelayMs?: number; maxDelayMs?: number };
}

/** Builds a WriteBack from a stored connection's (already validated) settings and credentials. */
export interface WriteBackFactory {
  readonly source: Source;
  create(settings: unknown, credentials: unknown, options?: WriteBackOptions): WriteBack;
}

/** A vendor's inbound HTTP request as the hub received it: the raw body the vendor signed. */
export interface InboundRequest {
  method: string;
  /** The full URL the vendor called (behind a TLS proxy: the forwarded scheme and host). */
  url: string;
  header(name: string): string | undefined;
  body: Uint8Array;
}

export type Verdict = { ok: true } | { ok: false; reason: 'missing' | 'stale' | 'mismatch' };

/** One delivery of a vendor webhook, as the hub records it. */
export interface WebhookEvent {
  /** Unique per connection; the dedup key. */
  deliveryId: string;
  /** e.g. "ticket.created", "comment.added", "ticket.propertyChange". */
  event: string;
  /** The vendor's ticket/case/thread id, if any. */
  sourceId: string | null;
  /** true: enqueue draft.generate and triage.apply for sourceId. */
  actionable: boolean;
  /** Zendesk: the signature header, a second dedup key (see webhook_deliveries.signature). */
  signature?: string;
}

/** Inbound webhooks: verify the raw body first, then parse it (an unverified body is never parsed). */
export interface InboundWebhook {
  /** Pure: no I/O, the clock is a parameter; constant-time compares. */
  verify(request: InboundRequest, secret: string, nowMs: number): Verdict;
  /** Parses a verified body; null when it is not a payload this endpoint understands. */
  events(request: InboundRequest, json: unknown): WebhookEvent[] | null;
}

/** Options every vendor action takes: where refreshed OAuth tokens go, a logger. */
export interface VendorCallOptions {
  onCredentialsRefreshed?: (credentials: Record<string, unknown>) => Promise<void>;
  log?: VendorLogger;
}

/** A task for a person at the vendor about a compliance alert (a Salesforce Task on the Case). */
export interface AlertTaskInput {
  /** The vendor's id of the ticket/case the alert is about. */
  ticketId: string;
  /** Our id for the task (the alert id): a retry finds the task it made instead of making another. */
  key: string;
  subject: string;
  description: string;
  severity: 'low' | 'medium' | 'high' | 'critical';
}

export interface AlertTasks {
  createTask(input: AlertTaskInput, signal?: AbortSignal): Promise<{ taskId: string; existing: boolean }>;
}

export interface AlertTasksFactory {
  create(settings: unknown, credentials: unknown, options?: VendorCallOptions): AlertTasks;
}

/** Sets up the vendor's side of inbound webhooks through its API (Zendesk webhook + trigger). */
export interface WebhookInstaller {
  install(
    settings: unknown,
    credentials: unknown,
    target: { hubUrl: string; connectionId: string; connectionName: string },
  ): Promise<{ secret: string; webhookId: string; triggerId: string; createdWebhook: boolean; createdTrigger: boolean; endpoint: string }>;
  /** The same set-up as manual steps for the vendor's admin UI; calls nothing. */
  manualSteps(hubUrl: string, connectionId: string, connectionName: string): string;
}

/** A message the app posts and later updates in place (compliance alerts, run progress). */
export interface AppMessage {
  channel: string;
  /** Fallback text for notifications and clients without blocks. */
  text: string;
  blocks: unknown[];
}

export interface AppChat {
  post(message: AppMessage, signal?: AbortSignal): Promise<{ channel: string; ts: string }>;
  update(message: AppMessage & { ts: string }, signal?: AbortSignal): Promise<{ channel: string; ts: string }>;
}

/** A numeric option of `tuneloop sandbox <name>` (--port, --seed, …), parsed and checked by the CLI. */
export interface SandboxOption {
  /** The option's name without dashes: "port", "rate-limit-every". */
  name: string;
  description: string;
  default?: number;
  min?: number;
}

export interface RunningSandbox {
  url: string;
  /** What to print: where it runs and how to add it as a connection. */
  instructions: string[];
  close(): Promise<void>;
}

export interface SandboxLauncher {
  readonly description: string;
  readonly options: readonly SandboxOption[];
  /** Values by option name; an option left out and without a default is undefined. */
  start(values: Readonly<Record<string, number | undefined>>): Promise<RunningSandbox>;
}

/**
 * Everything the hub can do with one vendor, opened by source through integrations/registry.ts.
 * Each vendor folder exports one of these from its index.ts.
 */
export interface Vendor {
  readonly source: Source;
  /** The vendor's name for people: "Zendesk". */
  readonly label: string;
  readonly connector: ConnectorFactory;
  /** Drafts as internal notes and triage; absent where the vendor has no tickets (Slack). */
  readonly writeBack?: WriteBackFactory;
  /** Inbound webhooks at /webhooks/<source>/<connection id>. */
  readonly webhook?: InboundWebhook;
  readonly webhookInstaller?: WebhookInstaller;
  /** Tasks for compliance alerts on the vendor's tickets. */
  readonly alertTasks?: AlertTasksFactory;
  /** The loopback sandbox, loaded only when asked for. */
  readonly sandbox: () => Promise<SandboxLauncher>;
}

/** The provider refused what we asked (bad model, bad file, bad hyperparameters): retrying cannot help. */
export class ProviderRequestError extends Error {
  override name = 'ProviderRequestError';
  constructor(
    message: string,
    readonly status: number,
    readonly code: string | null,
    readonly param: string | null,
  ) {
    super(message);
  }
}

/*
 * Managed fine-tuning at a provider (OpenAI): upload files, create a job tagged with the hub's job
 * id (so a retried create finds the job instead of making a second one), and follow its status,
 * events and checkpoints.
 */
export interface ManagedJob {
  id: string;
  status: string;
  fineTunedModel: string | null;
  trainedTokens: number | null;
  error: { code: string; message: string; param: string | null } | null;
  estimatedFinish: Date | null;
}

export interface ManagedEvent {
  id: string;
  createdAt: Date;
  level: 'info' | 'warn' | 'error';
  message: string;
  type: string;
  data: Record<string, unknown>;
}

export interface ManagedCheckpoint {
  id: string;
  step: number;
  modelName: string;
  metrics: Record<string, number | null>;
}

export interface CreateManagedJob {
  model: string;
  trainingFile: string;
  validationFile: string | null;
  method: { type: 'supervised'; supervised: { hyperparameters: Record<string, number | 'auto'> } } | { type: 'dpo'; dpo: { hyperparameters: Record<string, number | 'auto'> } };
  suffix: string | null;
  seed: number;
  /** The hub's job id; stored in the provider job's metadata. */
  tag: string;
  metadata: Record<string, string> | null;
}

export interface ManagedFineTuning {
  readonly provider: 'openai';
  uploadFile(filename: string, content: Readable | Uint8Array): Promise<string>;
  findJob(tag: string): Promise<ManagedJob | null>;
  createJob(input: CreateManagedJob): Promise<ManagedJob>;
  getJob(id: string): Promise<ManagedJob>;
  cancelJob(id: string): Promise<ManagedJob>;
  /** Events after `lastSeenId`, oldest first; at most `maxPages` pages of 100 per call. */
  newEvents(id: string, lastSeenId: string | null, maxPages?: number): Promise<ManagedEvent[]>;
  checkpoints(id: string): Promise<ManagedCheckpoint[]>;
}


/** How the hub reaches a fine-tuning provider's API. */
export interface ProviderSettings {
  apiKey: string;
  /** e.g. http://127.0.0.1:4020/v1 for the sandbox; unset: the provider's own endpoint. */
  baseURL?: string;
  /** Retries of one call after 429/5xx. */
  maxRetries?: number;
  timeoutMs?: number;
  log?: VendorLogger;
}

export interface FineTuningProvider {
  readonly name: 'openai';
  fineTuning(settings: ProviderSettings): ManagedFineTuning;
  /** The loopback sandbox of the provider's API, loaded only when asked for. */
  readonly sandbox: () => Promise<SandboxLauncher>;
}
