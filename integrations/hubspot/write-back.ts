/**
 * Write-back into HubSpot, where each kind of conversation takes a draft:
 * - a CRM ticket (`ticket:<id>`): a note on the ticket (notes.ts);
 * - an inbox thread (`thread:<id>`): an internal comment in the thread, a message of type COMMENT
 *   (https://developers.hubspot.com/docs/api-reference/conversations-conversations-inbox-&-messages-v3/public-message/post-conversations-v3-conversations-threads-threadId-messages),
 *   which the customer never sees.
 * Triage is written to ticket properties (threads have none): hs_ticket_priority, and the fields
 * the connection's `triageProperties` names, each only while empty; HubSpot tickets have no tags.
 * Conversations are read the way the harvest reads them, so a draft's prompt sees what training saw.
 */
import { textToHtml } from '../common/html-to-text.ts';
import { VendorError, type Conversation, type TriageChange, type TriageOutcome, type WriteBack, type WriteBackFactory, type WriteBackOptions } from '../types.ts';
import { HubSpotApi } from './client.ts';
import { THREAD_PREFIX, TICKET_PREFIX } from './harvest/map.ts';
import { PeopleCache } from './harvest/people.ts';
import { threadConversations } from './harvest/threads.ts';
import { TicketDetails } from './harvest/tickets.ts';
import { createTicketNote } from './notes.ts';
import { CrmObject, HubSpotMessage, HubSpotThread } from './schemas.ts';
import { HubSpotCredentials, HubSpotSettings } from './settings.ts';

const NOTE_PREFIX = 'note:';
/** hs_ticket_priority's options, by the model's labels. */
const PRIORITIES: Record<string, string> = { low: 'LOW', normal: 'MEDIUM', medium: 'MEDIUM', high: 'HIGH', urgent: 'URGENT' };

function idOf(sourceId: string, prefix: string): string | null {
  const id = sourceId.startsWith(prefix) ? sourceId.slice(prefix.length) : '';
  return /^\d{1,30}$/.test(id) ? id : null;
}

function ticketIdOf(sourceId: string): string {
  const id = idOf(sourceId, TICKET_PREFIX);
  if (!id) throw new VendorError('not_found', `"${sourceId.slice(0, 40)}" is not a HubSpot ticket (ticket:<id>)`);
  return id;
}

export class HubSpotWriteBack implements WriteBack {
  readonly source = 'hubspot' as const;
  private readonly api: HubSpotApi;

  constructor(private readonly settings: HubSpotSettings, private readonly credentials: HubSpotCredentials, private readonly options: WriteBackOptions = {}) {
    this.api = new HubSpotApi(settings, credentials, { retryPolicy: options.retryPolicy, log: options.log, onCredentialsRefreshed: options.onCredentialsRefreshed });
  }

  unsupported(sourceId: string, task: 'reply' | 'triage'): string | null {
    if (sourceId.startsWith(TICKET_PREFIX)) return null;
    if (!sourceId.startsWith(THREAD_PREFIX)) return `"${sourceId.slice(0, 40)}" is neither a HubSpot ticket nor an inbox thread`;
    return task === 'triage' ? 'triage is written to ticket properties; inbox threads have none' : null;
  }

  private details(signal?: AbortSignal): TicketDetails {
    return new TicketDetails(this.api, { ticketProperties: this.settings.ticketProperties ?? [], log: this.options.log }, signal);
  }

  // https://developers.hubspot.com/docs/api-reference/conversations-conversations-inbox-&-messages-v3/public-thread/get-conversations-v3-conversations-threads-threadId
  private async thread(id: string, signal?: AbortSignal): Promise<Conversation> {
    const thread = await this.api.conversations(`read thread ${id}`, { method: 'GET', path: `/conversations/v3/conversations/threads/${id}`, qs: { association: 'TICKET' } }, HubSpotThread, signal);
    const [conversation] = await threadConversations(this.api, [thread], new PeopleCache(), this.options.log, signal);
    if (!conversation) throw new VendorError('not_found', `HubSpot has no thread ${id} (deleted or archived)`, { status: 404 });
    return conversation;
  }

  async fetchTicket(sourceId: string, signal?: AbortSignal): Promise<Conversation> {
    const threadId = idOf(sourceId, THREAD_PREFIX);
    if (threadId) return this.thread(threadId, signal);
    const id = ticketIdOf(sourceId);
    const details = this.details(signal);
    const ticket = await details.ticket(id);
    const [conversation] = ticket ? await details.conversations([ticket]) : [];
    if (!conversation) throw new VendorError('not_found', `HubSpot has no ticket ${id} (deleted or archived)`, { status: 404 });
    return conversation;
  }

  async findNote(sourceId: string, marker: string, signal?: AbortSignal): Promise<string | null> {
    const conversation = await this.fetchTicket(sourceId, signal);
    const note = conversation.messages.find((message) => message.visibility === 'internal' && message.body.includes(marker));
    return note ? note.sourceId.replace(NOTE_PREFIX, '') : null;
  }

  async postInternalNote(sourceId: string, body: string, marker: string, signal?: AbortSignal): Promise<{ noteId: string }> {
    const threadId = idOf(sourceId, THREAD_PREFIX);
    try {
      if (threadId) {
        // One attempt: a repeat after a 5xx could post the comment twice; the check below decides.
        const created = await this.api.conversations(
          `add an internal comment to thread ${threadId}`,
          { method: 'POST', path: `/conversations/v3/conversations/threads/${threadId}/messages`, body: { type: 'COMMENT', text: body, richText: textToHtml(body) } },
          HubSpotMessage,
          signal,
          1,
        );
        return { noteId: created.id };
      }
      const created = await createTicketNote(this.settings, this.credentials, { ticketId: ticketIdOf(sourceId), text: body }, { ...this.options, ...(signal ? { signal } : {}) });
      return { noteId: created.id };
    } catch (error) {
      // A 5xx or a dropped connection may still have created the note: look before the job retries.
      if (error instanceof VendorError && (error.kind === 'transient' || error.kind === 'network')) {
        const existing = await this.findNote(sourceId, marker, signal).catch(() => null);
        if (existing) return { noteId: existing };
      }
      throw error;
    }
  }

  /** https://developers.hubspot.com/docs/api/crm/tickets (update a ticket's properties); agents' values stay. */
  async applyTriage(sourceId: string, triage: TriageChange, signal?: AbortSignal): Promise<TriageOutcome> {
    const reason = this.unsupported(sourceId, 'triage');
    if (reason) return { applied: [], skipped: [reason] };
    const id = ticketIdOf(sourceId);
    const mapped = this.settings.triageProperties ?? {};
    const wanted = [...new Set(Object.values(mapped))];
    const ticket = await this.api.crm(`read ticket ${id}`, (apis, options) => apis.tickets.getById(id, ['hs_ticket_priority', ...wanted], undefined, undefined, false, undefined, options), CrmObject, signal);
    const applied: string[] = [];
    const skipped: string[] = [];
    const update: Record<string, string> = {};
    const empty = (name: string) => !ticket.properties[name];

    if (triage.tags.length) skipped.push('tags: HubSpot tickets have no tags');
    if (triage.priority !== undefined) {
      const priority = PRIORITIES[triage.priority.toLowerCase()];
      if (!priority) skipped.push(`priority: "${triage.priority.slice(0, 20)}" is not a HubSpot ticket priority`);
      else if (!empty('hs_ticket_priority')) skipped.push('priority: already set');
      else {
        update.hs_ticket_priority = priority;
        applied.push('priority');
      }
    }
    for (const [field, value] of Object.entries(triage.fields)) {
      const property = mapped[field as keyof typeof mapped];
      if (!property) skipped.push(`${field}: no ticket property for it in the connection's triageProperties`);
      else if (!empty(property)) skipped.push(`${field}: ${property} already set`);
      else {
        update[property] = value;
        applied.push(`field:${field}`);
      }
    }
    if (applied.length) {
      // Safe to repeat: filling empty properties a second time changes nothing.
      await this.api.crm(`apply triage to ticket ${id}`, (apis, options) => apis.tickets.update(id, { properties: update }, undefined, options), CrmObject, signal);
    }
    return { applied, skipped };
  }
}

export const hubspotWriteBack: WriteBackFactory = {
  source: 'hubspot',
  create: (settings: unknown, credentials: unknown, options: WriteBackOptions = {}) => new HubSpotWriteBack(HubSpotSettings.parse(settings), HubSpotCredentials.parse(credentials), options),
};
