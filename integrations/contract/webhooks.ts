/** Inbound webhooks: the raw request, its verdict, and the events it carries. */

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
  /**
   * Parses a verified body; null when it is not a payload this endpoint understands. `connection`:
   * the stored connection's settings, so events for another account (HubSpot portalId) are dropped.
   */
  events(request: InboundRequest, json: unknown, connection?: { settings: unknown }): WebhookEvent[] | null;
}
