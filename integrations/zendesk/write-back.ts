/**
 * Write-back into Zendesk tickets: read a ticket with its comments, find or post tuneloop's internal
 * note (a private comment), and add a triage without overwriting anything an agent set.
 * https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/#update-ticket
 *
 * A note is one PUT with `{ticket:{comment:{body, public:false}}}`. The body ends with a marker
 * line; before a retry that follows a 5xx or a dropped connection (and before the first post, by
 * the job's findNote) the comments are listed, so a PUT whose answer was lost is found, not
 * repeated. A 429 means Zendesk did not process the request and is simply retried after Retry-After.
 */
import { z } from 'zod';
import { withRetry, type RetryPolicy } from '../common/retry.ts';
import { VendorError, type Conversation, type TriageChange, type TriageOutcome, type VendorLogger, type WriteBack, type WriteBackFactory, type WriteBackOptions } from '../types.ts';
import { ZendeskApi } from './client.ts';
import { commentText, toConversation, ZENDESK_SYSTEM_USER_ID } from './map.ts';
import { CommentsPage, UsersList, ZendeskTicket, type ZendeskComment, type ZendeskUser } from './schemas.ts';
import { ZendeskCredentials, ZendeskSettings } from './settings.ts';

const TicketAnswer = z.object({ ticket: ZendeskTicket });
/** The Update Ticket answer: the ticket and the audit whose events include the new comment. */
/** What we read of a redaction's answer: the comment, now redacted. */
const RedactAnswer = z.object({ comment: z.object({ id: z.number().int() }).loose() });

const UpdateAnswer = z.object({
  ticket: ZendeskTicket,
  audit: z.object({ events: z.array(z.object({ id: z.number().int(), type: z.string(), body: z.string().nullish() }).loose()) }).nullish(),
});
const ZENDESK_PRIORITIES = new Set(['low', 'normal', 'high', 'urgent']);
const COMMENTS_PAGE_SIZE = 100;

function ticketId(sourceId: string): number {
  if (!/^\d{1,19}$/.test(sourceId)) throw new VendorError('not_found', `"${sourceId.slice(0, 40)}" is not a Zendesk ticket id`);
  return Number(sourceId);
}

/** Zendesk tags are lowercase words; spaces would split one tag into several. */
function tagOf(text: string): string {
  return text.trim().toLowerCase().replace(/[^\p{L}\p{N}_:-]+/gu, '_').replace(/^_+|_+$/g, '');
}

export class ZendeskWriteBack implements WriteBack {
  readonly source = 'zendesk' as const;
  private readonly api: ZendeskApi;
  private readonly settings: ZendeskSettings;

  constructor(settings: ZendeskSettings, credentials: ZendeskCredentials, private readonly options: { retryPolicy?: Partial<RetryPolicy>; log?: VendorLogger } = {}) {
    this.settings = ZendeskSettings.parse(settings);
    this.api = new ZendeskApi(this.settings, ZendeskCredentials.parse(credentials), options);
  }

  unsupported(): string | null {
    return null;
  }

  // https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/#show-ticket
  private async ticket(id: number, signal?: AbortSignal): Promise<ZendeskTicket> {
    return (await this.api.get(`read ticket ${id}`, ['tickets', id], TicketAnswer, signal)).ticket;
  }

  // https://developer.zendesk.com/api-reference/ticketing/tickets/ticket_comments/#list-comments
  private async comments(id: number, signal?: AbortSignal): Promise<ZendeskComment[]> {
    const comments: ZendeskComment[] = [];
    for (let after: string | null = null; ; ) {
      const page: Record<string, unknown> = after === null ? { size: COMMENTS_PAGE_SIZE } : { size: COMMENTS_PAGE_SIZE, after };
      const result: CommentsPage = await this.api.get(`list the comments of ticket ${id}`, ['tickets', id, 'comments', { page }], CommentsPage, signal);
      comments.push(...result.comments);
      if (!result.meta.has_more) return comments;
      if (!result.meta.after_cursor) throw new VendorError('malformed', `Zendesk said ticket ${id} has more comments but sent no meta.after_cursor`);
      after = result.meta.after_cursor;
    }
  }

  async fetchTicket(sourceId: string, signal?: AbortSignal): Promise<Conversation> {
    const id = ticketId(sourceId);
    const ticket = await this.ticket(id, signal);
    const comments = await this.comments(id, signal);
    const ids = new Set<number>();
    for (const value of [ticket.requester_id, ticket.assignee_id, ...comments.map((comment) => comment.author_id)]) {
      if (value !== null && value !== undefined && value !== ZENDESK_SYSTEM_USER_ID) ids.add(value);
    }
    const users = new Map<number, ZendeskUser>();
    const all = [...ids];
    // https://developer.zendesk.com/api-reference/ticketing/users/users/#show-many-users (100 ids a call)
    for (let i = 0; i < all.length; i += 100) {
      const found = await this.api.get('look up comment authors', ['users', 'show_many', { ids: all.slice(i, i + 100).join(',') }], UsersList, signal);
      for (const user of found.users) users.set(user.id, user);
    }
    return toConversation(ticket, comments, users);
  }

  async findNote(sourceId: string, marker: string, signal?: AbortSignal): Promise<string | null> {
    const comments = await this.comments(ticketId(sourceId), signal);
    const found = comments.find((comment) => !comment.public && commentText(comment).includes(marker));
    return found ? String(found.id) : null;
  }

  async redactNote(sourceId: string, noteId: string, signal?: AbortSignal): Promise<'redacted' | 'gone'> {
    const id = ticketId(sourceId);
    let comments: ZendeskComment[];
    try {
      comments = await this.comments(id, signal);
    } catch (error) {
      if (error instanceof VendorError && error.kind === 'not_found') return 'gone';
      throw error;
    }
    const note = comments.find((comment) => String(comment.id) === noteId);
    if (!note) return 'gone';
    const text = commentText(note);
    // Already redacted (Zendesk writes ▇ for every redacted character): nothing left to send.
    if (!text.replace(/[\s▇]/g, '')) return 'redacted';
    // https://developer.zendesk.com/api-reference/ticketing/tickets/ticket_comments/#redact-string-in-comment
    await withRetry(() => this.api.sendOnce('PUT', `redact note ${noteId} on ticket ${id}`, ['tickets', id, 'comments', noteId, 'redact'], { text }, RedactAnswer, signal), {
      policy: this.options.retryPolicy,
      ...(signal ? { signal } : {}),
      onRetry: (info) => this.logRetry(info, id),
    });
    return 'redacted';
  }

  async postInternalNote(sourceId: string, body: string, marker: string, signal?: AbortSignal): Promise<{ noteId: string }> {
    if (!body.includes(marker)) throw new Error('the note body must contain its marker');
    const id = ticketId(sourceId);
    // After a 5xx or a dropped connection the PUT may have been processed; after a 429 it was not.
    let mayExist = false;
    return withRetry(
      async () => {
        if (mayExist) {
          const existing = await this.findNote(sourceId, marker, signal);
          if (existing) return { noteId: existing };
        }
        const answer = await this.api.sendOnce('PUT', `add an internal note to ticket ${id}`, ['tickets', id], { ticket: { comment: { body, public: false } } }, UpdateAnswer, signal);
        const event = answer.audit?.events.find((e) => e.type === 'Comment');
        if (event) return { noteId: String(event.id) };
        const existing = await this.findNote(sourceId, marker, signal);
        if (!existing) throw new VendorError('malformed', `Zendesk accepted the note on ticket ${id} but it is not among the ticket's comments`);
        return { noteId: existing };
      },
      {
        policy: this.options.retryPolicy,
        ...(signal ? { signal } : {}),
        onRetry: (info) => {
          if (info.error.kind !== 'rate_limited') mayExist = true;
          this.logRetry(info, id);
        },
      },
    );
  }

  /**
   * Tags are added (additional_tags never removes one), priority is set only when the ticket has
   * none, the confidence field only when empty: whatever an agent set stays.
   */
  async applyTriage(sourceId: string, triage: TriageChange, signal?: AbortSignal): Promise<TriageOutcome> {
    const id = ticketId(sourceId);
    const ticket = await this.ticket(id, signal);
    const applied: string[] = [];
    const skipped: string[] = [];
    const update: Record<string, unknown> = {};

    const present = new Set(ticket.tags ?? []);
    const newTags = [...new Set(triage.tags.map(tagOf).filter(Boolean))].filter((tag) => !present.has(tag));
    if (newTags.length) {
      update.additional_tags = newTags;
      applied.push(...newTags.map((tag) => `tag:${tag}`));
    } else if (triage.tags.length) skipped.push('tags: already on the ticket');

    if (triage.priority !== undefined) {
      const priority = triage.priority.toLowerCase();
      if (!ZENDESK_PRIORITIES.has(priority)) skipped.push(`priority: "${triage.priority.slice(0, 20)}" is not a Zendesk priority`);
      else if (ticket.priority) skipped.push('priority: already set');
      else {
        update.priority = priority;
        applied.push('priority');
      }
    }

    for (const [name, value] of Object.entries(triage.fields)) {
      if (name !== 'confidence') {
        skipped.push(`${name}: no Zendesk field for it`);
        continue;
      }
      const fieldId = this.settings.triageConfidenceFieldId;
      const current = ticket.custom_fields?.find((field) => field.id === fieldId)?.value;
      if (fieldId === undefined) skipped.push('confidence: no triageConfidenceFieldId in the connection settings');
      else if (current !== null && current !== undefined && current !== '') skipped.push('confidence: field already set');
      else {
        update.custom_fields = [{ id: fieldId, value }];
        applied.push('field:confidence');
      }
    }

    if (applied.length) {
      // Safe to repeat: adding tags and filling empty fields a second time changes nothing.
      await withRetry(() => this.api.sendOnce('PUT', `apply triage to ticket ${id}`, ['tickets', id], { ticket: update }, UpdateAnswer, signal), {
        policy: this.options.retryPolicy,
        ...(signal ? { signal } : {}),
        onRetry: (info) => this.logRetry(info, id),
      });
    }
    return { applied, skipped };
  }

  private logRetry(info: { attempt: number; delayMs: number; error: VendorError }, id: number): void {
    this.options.log?.warn({ vendor: 'zendesk', ticketId: id, attempt: info.attempt, delayMs: info.delayMs, kind: info.error.kind, status: info.error.status }, 'retrying a Zendesk write');
  }
}

export const zendeskWriteBack: WriteBackFactory = {
  source: 'zendesk',
  create: (settings: unknown, credentials: unknown, options: WriteBackOptions = {}) =>
    new ZendeskWriteBack(ZendeskSettings.parse(settings), ZendeskCredentials.parse(credentials), {
      ...(options.retryPolicy ? { retryPolicy: options.retryPolicy } : {}),
      ...(options.log ? { log: options.log } : {}),
    }),
};
