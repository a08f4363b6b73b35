/**
 * Harvest phase 2: CRM tickets modified at or after the position, through the CRM search sorted by
 * hs_lastmodifieddate, then each ticket with its associations, its emails, notes and contacts in
 * batch reads, and the account's owners once. See scan.ts for positions and paging.
 *
 * HubSpot indexes changes for search "after a few moments", so a ticket changed just before a
 * search can be missing from it. Each run therefore starts SEARCH_INDEX_LAG_MS before the previous
 * run's last search (by HubSpot's clock) when that is earlier than the position: the repeats are
 * unchanged and stored as no-ops.
 */
import { FilterOperatorEnum, type Filter, type PublicObjectSearchRequest } from '@hubspot/api-client/lib/codegen/crm/tickets/index.js';
import type { z } from 'zod';
import { VendorError, type Conversation } from '../../types.ts';
import type { HubSpotApi } from '../client.ts';
import type { PhaseOptions, PhaseStep } from './threads.ts';
import { BATCH_LIMIT, PeopleCache } from './people.ts';
import { EMAIL_PROPERTIES, NOTE_PROPERTIES, TICKET_PROPERTIES, ticketToConversation } from './map-ticket.ts';
import { advance, chunks, ScanFront, type TicketPosition } from './scan.ts';
import { BatchRead, CrmObject, OwnersPage, SearchPage, type Owner } from '../schemas.ts';

export const SEARCH_INDEX_LAG_MS = 2 * 60_000;
const ASSOCIATIONS = ['emails', 'notes', 'contacts'];

export interface TicketPhaseOptions extends PhaseOptions {
  ticketProperties: readonly string[];
}

function stampOf(ticket: CrmObject): number {
  const value = ticket.properties.hs_lastmodifieddate;
  const parsed = value && /^\d+$/.test(value) ? Number(value) : Date.parse(value ?? '');
  return Number.isNaN(parsed) ? Date.parse(ticket.updatedAt) : parsed;
}

/** One sort rule, in the documented object form: the SDK types `sorts` as strings but sends them unchanged. */
function searchRequest(filters: Filter[], sortBy: string, limit: number): PublicObjectSearchRequest {
  const sorts = [{ propertyName: sortBy, direction: 'ASCENDING' }] as unknown as string[];
  return { filterGroups: [{ filters }], sorts, properties: ['hs_lastmodifieddate'], limit };
}

export class TicketDetails {
  private owners: Map<string, Owner> | null = null;
  private readonly people = new PeopleCache();

  constructor(
    private readonly api: HubSpotApi,
    private readonly options: TicketPhaseOptions,
    private readonly signal: AbortSignal | undefined,
  ) {}

  /** https://developers.hubspot.com/docs/api/crm/owners; without crm.objects.owners.read, owners stay ids. */
  private async loadOwners(): Promise<Map<string, Owner>> {
    if (this.owners) return this.owners;
    const owners = new Map<string, Owner>();
    try {
      for (let after: string | undefined; ; ) {
        const cursor = after;
        const page = await this.api.crm('list owners', (apis, options) => apis.owners.getPage(undefined, cursor, 500, false, options), OwnersPage, this.signal);
        for (const owner of page.results) owners.set(owner.id, owner);
        after = page.paging?.next?.after ?? undefined;
        if (!after) break;
      }
    } catch (error) {
      if (!(error instanceof VendorError) || error.kind !== 'forbidden') throw error;
      this.options.log?.warn({ vendor: 'hubspot' }, `ticket owners stay ids without names: ${error.message}`);
    }
    this.owners = owners;
    return owners;
  }

  /** https://developers.hubspot.com/docs/api/crm/understanding-the-crm#retrieve-a-record; null once deleted. */
  private async ticket(id: string): Promise<CrmObject | null> {
    const properties = [...new Set([...TICKET_PROPERTIES, ...this.options.ticketProperties])];
    try {
      return await this.api.crm(`read ticket ${id}`, (apis, options) => apis.tickets.getById(id, properties, undefined, ASSOCIATIONS, false, undefined, options), CrmObject, this.signal);
    } catch (error) {
      if (error instanceof VendorError && error.kind === 'not_found') return null;
      throw error;
    }
  }

  /** Batch reads (200, or 207 for ids deleted meanwhile, which are left out). */
  private async read(type: 'emails' | 'notes', ids: string[], properties: string[]): Promise<Map<string, CrmObject>> {
    const found = new Map<string, CrmObject>();
    for (const slice of chunks([...new Set(ids)], BATCH_LIMIT)) {
      const input = { inputs: slice.map((id) => ({ id })), properties, propertiesWithHistory: [] };
      // https://developers.hubspot.com/docs/api/crm/email, https://developers.hubspot.com/docs/api/crm/notes (batch read)
      const batch = await this.api.crm(`read ${type}`, (apis, options) => (type === 'emails' ? apis.emailsBatch : apis.notesBatch).read(input, false, options), BatchRead, this.signal);
      for (const object of batch.results) found.set(object.id, object);
    }
    return found;
  }

  async conversations(tickets: CrmObject[]): Promise<Conversation[]> {
    const full: CrmObject[] = [];
    for (const listed of tickets) {
      this.signal?.throwIfAborted();
      const ticket = await this.ticket(listed.id);
      if (ticket) full.push(ticket);
      else this.options.log?.debug({ vendor: 'hubspot', ticketId: listed.id }, 'ticket deleted during harvest; skipped');
    }
    const associated = (ticket: CrmObject, type: string) => {
      const list = ticket.associations?.[type];
      if (list?.paging?.next) this.options.log?.warn({ vendor: 'hubspot', ticketId: ticket.id, type }, 'ticket has more associations than one page; only the first page is harvested');
      return list?.results.map((association) => association.id) ?? [];
    };
    const emails = await this.read('emails', full.flatMap((t) => associated(t, 'emails')), EMAIL_PROPERTIES);
    const notes = await this.read('notes', full.flatMap((t) => associated(t, 'notes')), NOTE_PROPERTIES);
    await this.people.loadContacts(this.api, full.flatMap((t) => associated(t, 'contacts')), this.signal);
    const owners = await this.loadOwners();
    const pick = (ids: string[], from: ReadonlyMap<string, CrmObject>) => ids.flatMap((id) => from.get(id) ?? []);
    return full.map((ticket) =>
      ticketToConversation(
        { ticket, emails: pick(associated(ticket, 'emails'), emails), notes: pick(associated(ticket, 'notes'), notes), contacts: pick(associated(ticket, 'contacts'), this.people.contacts) },
        owners,
        this.options.ticketProperties,
      ),
    );
  }
}

export async function* harvestTickets(api: HubSpotApi, start: TicketPosition, options: TicketPhaseOptions, signal?: AbortSignal): AsyncGenerator<PhaseStep<TicketPosition>> {
  const details = new TicketDetails(api, options, signal);
  const anchor = start.scannedAt === null ? start.since : Math.max(0, Math.min(start.since, start.scannedAt - SEARCH_INDEX_LAG_MS));
  const front = new ScanFront(anchor, anchor === start.since ? start.seen : []);
  let position = start;
  /** While more than a page of tickets shares front.at: walking them by hs_object_id after this id. */
  let tieAfterId: string | null = null;
  for (;;) {
    signal?.throwIfAborted();
    const at = String(front.at);
    const request: PublicObjectSearchRequest =
      tieAfterId === null
        ? searchRequest([{ propertyName: 'hs_lastmodifieddate', operator: FilterOperatorEnum.Gte, value: at }], 'hs_lastmodifieddate', options.pageSize)
        : searchRequest([{ propertyName: 'hs_lastmodifieddate', operator: FilterOperatorEnum.Eq, value: at }, { propertyName: 'hs_object_id', operator: FilterOperatorEnum.Gt, value: tieAfterId }], 'hs_object_id', options.pageSize);
    // https://developers.hubspot.com/docs/api/crm/search
    const page: z.infer<typeof SearchPage> = await api.crm(`search tickets modified since ${new Date(front.at).toISOString()}`, (apis, callOptions) => apis.ticketsSearch.doSearch(request, callOptions), SearchPage, signal);
    const scannedAt = api.lastAnswerAt?.getTime() ?? Date.now();
    const fresh = page.results.filter((ticket) => !front.has(stampOf(ticket), ticket.id));
    for (const ticket of page.results) front.observe(stampOf(ticket), ticket.id);
    options.log?.debug({ vendor: 'hubspot', tickets: page.results.length, fresh: fresh.length, total: page.total }, 'ticket search page');

    for (const chunk of chunks(fresh, options.batchSize)) {
      const conversations = await details.conversations(chunk);
      for (const ticket of chunk) position = advance(position, stampOf(ticket), ticket.id);
      position = { ...position, scannedAt };
      yield { conversations, position };
    }

    const full = page.results.length >= options.pageSize;
    if (tieAfterId !== null) {
      if (full) tieAfterId = page.results.at(-1)?.id ?? tieAfterId;
      else {
        tieAfterId = null;
        front.skipTimestamp();
      }
      continue;
    }
    if (!full) return;
    // A new query from front.at would return this same page: walk that timestamp by id instead.
    if (page.results.every((ticket) => stampOf(ticket) === front.at)) tieAfterId = '0';
  }
}
