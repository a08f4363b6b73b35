/**
 * The contract between tuneloop and every vendor: harvest connectors and write-back actions.
 * Nothing outside `integrations/<vendor>/` imports a vendor SDK; `src/` only sees these types.
 */
import { z } from 'zod';

export const SOURCES = ['zendesk', 'salesforce', 'hubspot', 'slack'] as const;
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
 * triage. One vendor call at a time; reads are retried (integrations/retry.ts); a post is retried
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
