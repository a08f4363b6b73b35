/**
 * Write-back into HubSpot: a draft reply as a note on a CRM ticket (`ticket:<id>`), through
 * notes.ts. Inbox threads (`thread:<id>`) have no internal notes in the public API, so they take no
 * drafts; triage is not written to HubSpot (its ticket properties differ per account).
 * The ticket is read the way the harvest reads it (harvest/tickets.ts), so the draft's prompt sees
 * the same conversation as the training data did.
 */
import { VendorError, type Conversation, type TriageOutcome, type WriteBack, type WriteBackFactory, type WriteBackOptions } from '../types.ts';
import { HubSpotApi } from './client.ts';
import { TicketDetails } from './harvest/tickets.ts';
import { TICKET_PREFIX } from './harvest/map.ts';
import { createTicketNote } from './notes.ts';
import { HubSpotCredentials, HubSpotSettings } from './settings.ts';

const NOTE_PREFIX = 'note:';

function ticketIdOf(sourceId: string): string {
  const id = sourceId.startsWith(TICKET_PREFIX) ? sourceId.slice(TICKET_PREFIX.length) : '';
  if (!/^\d{1,30}$/.test(id)) throw new VendorError('not_found', `"${sourceId.slice(0, 40)}" is not a HubSpot ticket (ticket:<id>)`);
  return id;
}

export class HubSpotWriteBack implements WriteBack {
  readonly source = 'hubspot' as const;
  private readonly api: HubSpotApi;

  constructor(private readonly settings: HubSpotSettings, private readonly credentials: HubSpotCredentials, private readonly options: WriteBackOptions = {}) {
    this.api = new HubSpotApi(settings, credentials, { retryPolicy: options.retryPolicy, log: options.log, onCredentialsRefreshed: options.onCredentialsRefreshed });
  }

  unsupported(sourceId: string, task: 'reply' | 'triage'): string | null {
    if (!sourceId.startsWith(TICKET_PREFIX)) return 'HubSpot inbox threads have no internal notes in the API: drafts go to tickets only';
    if (task === 'triage') return 'triage is not written back to HubSpot';
    return null;
  }

  async fetchTicket(sourceId: string, signal?: AbortSignal): Promise<Conversation> {
    const id = ticketIdOf(sourceId);
    const details = new TicketDetails(this.api, { pageSize: 100, batchSize: 1, ticketProperties: this.settings.ticketProperties ?? [], log: this.options.log }, signal);
    const now = new Date().toISOString();
    const [conversation] = await details.conversations([{ id, properties: {}, createdAt: now, updatedAt: now }]);
    if (!conversation) throw new VendorError('not_found', `HubSpot has no ticket ${id} (deleted or archived)`, { status: 404 });
    return conversation;
  }

  async findNote(sourceId: string, marker: string, signal?: AbortSignal): Promise<string | null> {
    const conversation = await this.fetchTicket(sourceId, signal);
    const note = conversation.messages.find((message) => message.visibility === 'internal' && message.body.includes(marker));
    return note ? note.sourceId.replace(NOTE_PREFIX, '') : null;
  }

  async postInternalNote(sourceId: string, body: string, marker: string, signal?: AbortSignal): Promise<{ noteId: string }> {
    const ticketId = ticketIdOf(sourceId);
    try {
      const created = await createTicketNote(this.settings, this.credentials, { ticketId, text: body }, { ...this.options, ...(signal ? { signal } : {}) });
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

  async applyTriage(): Promise<TriageOutcome> {
    return { applied: [], skipped: ['triage is not written back to HubSpot'] };
  }
}

export const hubspotWriteBack: WriteBackFactory = {
  source: 'hubspot',
  create: (settings: unknown, credentials: unknown, options: WriteBackOptions = {}) => new HubSpotWriteBack(HubSpotSettings.parse(settings), HubSpotCredentials.parse(credentials), options),
};
