/**
 * Write-back: a draft reply posted as a note on a ticket (internal, in the ticket's timeline).
 * https://developers.hubspot.com/docs/api/crm/notes#create-a-note
 *
 * Only a 429 is retried (HubSpot refused the call, so nothing was created); a 5xx or a dropped
 * connection may have created the note, and repeating it would post the draft twice. The caller's
 * job retries, and knows whether the note exists.
 */
import { AssociationSpecAssociationCategoryEnum } from '@hubspot/api-client/lib/codegen/crm/objects/notes/index.js';
import { textToHtml } from '../common/html-to-text.ts';
import { abortableSleep, type RetryPolicy } from '../common/retry.ts';
import { VendorError, type ConnectorOptions, type VendorLogger } from '../types.ts';
import { HubSpotApi } from './client.ts';
import { CrmObject } from './schemas.ts';
import { HubSpotCredentials, HubSpotSettings } from './settings.ts';

/** HUBSPOT_DEFINED association type id for note → ticket. */
export const NOTE_TO_TICKET_TYPE_ID = 228;
const MAX_RATE_LIMITED_ATTEMPTS = 5;

export interface TicketNote {
  ticketId: string;
  /** Plain text; stored as HubSpot's rich-text HTML. */
  text: string;
  /** The HubSpot owner shown as the note's author. */
  ownerId?: string;
  at?: Date;
}

export interface NoteOptions {
  retryPolicy?: Partial<RetryPolicy>;
  log?: VendorLogger;
  onCredentialsRefreshed?: ConnectorOptions['onCredentialsRefreshed'];
  signal?: AbortSignal;
}

export async function createTicketNote(settings: HubSpotSettings, credentials: HubSpotCredentials, note: TicketNote, options: NoteOptions = {}): Promise<{ id: string }> {
  const api = new HubSpotApi(HubSpotSettings.parse(settings), HubSpotCredentials.parse(credentials), options);
  const input = {
    properties: { hs_note_body: textToHtml(note.text), hs_timestamp: (note.at ?? new Date()).toISOString(), ...(note.ownerId ? { hubspot_owner_id: note.ownerId } : {}) },
    associations: [{ to: { id: note.ticketId }, types: [{ associationCategory: AssociationSpecAssociationCategoryEnum.HubspotDefined, associationTypeId: NOTE_TO_TICKET_TYPE_ID }] }],
  };
  for (let attempt = 1; ; attempt++) {
    try {
      const created = await api.crm(`add a note to ticket ${note.ticketId}`, (apis, callOptions) => apis.notes.create(input, callOptions), CrmObject, options.signal, 1);
      return { id: created.id };
    } catch (error) {
      if (!(error instanceof VendorError) || error.kind !== 'rate_limited' || !error.retryable || attempt >= MAX_RATE_LIMITED_ATTEMPTS) throw error;
      await abortableSleep(error.retryAfterMs ?? 1_000 * attempt, options.signal);
    }
  }
}
