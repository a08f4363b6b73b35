/** Write-back: drafts as internal notes and triage, into the vendor's ticket. */
import type { Conversation, Source } from './conversation.ts';
import type { VendorLogger } from './connector.ts';

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
  /**
   * Permanently redacts the text of tuneloop's note `noteId` on the ticket (GDPR erasure); 'gone'
   * when the ticket or the note no longer exists. Absent where the vendor's API cannot redact.
   */
  redactNote?(sourceId: string, noteId: string, signal?: AbortSignal): Promise<'redacted' | 'gone'>;
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
