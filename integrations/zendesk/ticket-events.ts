/**
 * The comments of a harvest's tickets, read from the incremental ticket event export with
 * `include=comment_events` (1000 updates a call) instead of one List Comments call per ticket.
 * https://developer.zendesk.com/api-reference/ticketing/ticket-management/incremental_exports/#incremental-ticket-event-export
 *
 * The stream starts at a time and moves forward with the ticket export: before a page of tickets
 * is turned into conversations, the stream is read up to the latest update on that page. A
 * ticket's comments come from the stream only when the stream has seen its whole life: created at
 * or after the stream's start, last updated no later than the stream has read, not already handed
 * out in this run (a ticket that changes again during the harvest comes back), and without an
 * update the harvest cannot replay (a comment redacted or made private later). Every other ticket
 * falls back to List Comments, one call each, and is counted. Comments wait in memory only until
 * their ticket's page comes; past MAX_BUFFERED they are dropped and those tickets fall back too.
 *
 * The export is time based: each page ends with all events of its last second, and the next page
 * starts at that second again, so events are deduplicated by id at the boundary. Events from the
 * last minute are not exported yet; tickets updated since fall back as well.
 */
import { VendorError, type VendorLogger } from '../types.ts';
import type { ZendeskApi } from './client.ts';
import { ZendeskComment, TicketEventsPage, type TicketEvent, type ZendeskTicket } from './schemas.ts';

/** Comment-changing updates the harvest cannot replay on a buffered comment: the ticket's comments are read again. */
const UNREPLAYABLE = /redact|privacy|private|merge/i;
const MAX_BUFFERED = 200_000;
/** Zendesk refuses a start_time less than a minute old, and leaves out the last minute's events. */
const EXPORT_DELAY_S = 61;

export function seconds(timestamp: string): number {
  return Math.floor(Date.parse(timestamp) / 1000);
}

interface Buffer {
  comments: ZendeskComment[];
  /** Something happened to these comments that the stream cannot replay. */
  unsure: boolean;
}

export class CommentStream {
  private begun: number | null = null;
  private nextStart = 0;
  /** Every event created at or before this second has been read. */
  private reach = -1;
  private done = false;
  private boundary = new Set<string>();
  private readonly buffers = new Map<number, Buffer>();
  private readonly emitted = new Set<number>();
  private buffered = 0;
  /** Tickets whose buffered comments were dropped to bound memory. */
  private readonly dropped = new Set<number>();

  constructor(
    private readonly api: ZendeskApi,
    private readonly signal: AbortSignal | undefined,
    private readonly log: VendorLogger | undefined,
  ) {}

  /** Where this run's stream started (Unix seconds), or null before it has. */
  get start(): number | null {
    return this.begun;
  }

  begin(from: number): void {
    this.begun = Math.max(0, from);
    this.nextStart = this.begun;
  }

  /** Whether `ticket`'s comments can come from the stream (after advanceTo its updated_at). */
  covers(ticket: ZendeskTicket): boolean {
    if (this.begun === null || this.emitted.has(ticket.id) || this.dropped.has(ticket.id)) return false;
    if (seconds(ticket.created_at) < this.begun || seconds(ticket.updated_at) > this.reach) return false;
    return !this.buffers.get(ticket.id)?.unsure;
  }

  /** Reads the export until every event up to `second` is in. */
  async advanceTo(second: number): Promise<void> {
    while (!this.done && this.reach < second) await this.readPage();
  }

  /** The ticket's comments from the stream; the ticket counts as handed out from now on. */
  take(ticketId: number): ZendeskComment[] {
    const comments = this.buffers.get(ticketId)?.comments ?? [];
    this.forget(ticketId);
    return comments;
  }

  /** The ticket was handed out (from the stream or not): later events for it are not kept. */
  forget(ticketId: number): void {
    const buffer = this.buffers.get(ticketId);
    if (buffer) this.buffered -= buffer.comments.length;
    this.buffers.delete(ticketId);
    this.emitted.add(ticketId);
  }

  // https://developer.zendesk.com/documentation/ticketing/managing-tickets/using-the-incremental-export-api#time-based-incremental-exports
  private async readPage(): Promise<void> {
    this.signal?.throwIfAborted();
    const now = Math.floor(Date.now() / 1000);
    const start = Math.min(this.nextStart, now - EXPORT_DELAY_S);
    const page: TicketEventsPage = await this.api.get(
      'list ticket updates with their comments (incremental export)',
      ['incremental', 'ticket_events', { start_time: start, include: 'comment_events' }],
      TicketEventsPage,
      this.signal,
    );
    for (const event of page.ticket_events) {
      if (!this.boundary.has(String(event.id))) this.keep(event);
    }
    const end = page.end_time ?? start;
    this.boundary = new Set(page.ticket_events.filter((event) => event.timestamp === end).map((event) => String(event.id)));
    if (page.end_of_stream) {
      this.done = true;
      this.reach = Math.max(end, now - EXPORT_DELAY_S);
    } else {
      if (end <= start && page.ticket_events.every((event) => event.timestamp <= start)) {
        throw new VendorError('malformed', `Zendesk's ticket event export did not move past ${new Date(start * 1000).toISOString()} (end_time ${end})`);
      }
      this.reach = end - 1;
      this.nextStart = end;
    }
    this.log?.debug({ vendor: 'zendesk', events: page.ticket_events.length, endOfStream: page.end_of_stream, buffered: this.buffered }, 'ticket event export page');
  }

  private keep(event: TicketEvent): void {
    const ticketId = Number(event.ticket_id);
    if (this.emitted.has(ticketId) || this.dropped.has(ticketId)) return;
    let buffer = this.buffers.get(ticketId);
    for (const child of event.child_events ?? []) {
      const type = child.event_type ?? child.type ?? '';
      if (type === 'Comment') {
        const comment = ZendeskComment.safeParse(child);
        buffer ??= this.open(ticketId);
        if (comment.success) {
          buffer.comments.push(comment.data);
          this.buffered++;
        } else buffer.unsure = true;
      } else if (UNREPLAYABLE.test(type)) {
        buffer ??= this.open(ticketId);
        buffer.unsure = true;
      }
    }
    if (this.buffered > MAX_BUFFERED) {
      this.log?.warn({ vendor: 'zendesk', buffered: this.buffered }, 'too many comments waiting for their tickets; those tickets read their comments one by one instead');
      for (const id of this.buffers.keys()) this.dropped.add(id);
      this.buffers.clear();
      this.buffered = 0;
    }
  }

  private open(ticketId: number): Buffer {
    const buffer: Buffer = { comments: [], unsure: false };
    this.buffers.set(ticketId, buffer);
    return buffer;
  }
}
