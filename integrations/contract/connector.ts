/** Harvest: a connector yields batches of conversations with a cursor to resume from. */
import type { z } from 'zod';
import type { Conversation, Source } from './conversation.ts';

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

/** How a live watch (IMAP IDLE) runs: until `signal` aborts, reporting its connection's state. */
export interface WatchContext {
  signal: AbortSignal;
  log?: VendorLogger;
  /** First wait before reconnecting after a drop (doubles up to a minute). */
  reconnectMs?: number;
  onConnected?: () => void;
  /** The reason the watch cannot run now (wrong password, mailbox gone); it retries. */
  onError?: (reason: string) => void;
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
  /**
   * One conversation by its vendor id, read now (a message event named it); null when it is gone.
   * Offered where the vendor pushes events about conversations the harvest stores (Slack).
   */
  fetchConversation?(sourceId: string, signal?: AbortSignal): Promise<Conversation | null>;
  /**
   * Calls `onChange` whenever the vendor says something new may be there (and once on each
   * connect), until ctx.signal aborts; the hub answers with a harvest. Offered where the vendor
   * pushes over a connection we hold (IMAP IDLE).
   */
  watch?(onChange: () => void, ctx: WatchContext): Promise<void>;
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
