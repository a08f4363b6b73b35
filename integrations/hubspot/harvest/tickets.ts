/**
 * Harvest phase 2: CRM tickets modified at or after the position, at the API's minimum. The CRM
 * search (sorted by hs_lastmodifieddate, 200 a page) returns every property the mapping needs, so
 * no ticket is read on its own; up to 1,000 tickets (five pages) are gathered, then their emails,
 * notes and contacts are found with one v4 batch association read per object type (1,000 ids a
 * call) and read 100 at a time; owners and pipelines once a run. For N tickets with E emails,
 * Nn notes and C distinct contacts: ⌈N/200⌉ + 3⌈N/1000⌉ + ⌈E/100⌉ + ⌈Nn/100⌉ + ⌈C/100⌉ + 2
 * calls, each quotient taken per 1,000-ticket chunk. See scan.ts for positions and paging.
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
import { EMAIL_PROPERTIES, NOTE_PROPERTIES, TICKET_PROPERTIES, ticketToConversation, type PipelineStages } from './map-ticket.ts';
import { advance, chunks, ScanFront, type TicketPosition } from './scan.ts';
import { AssociationsBatch, AssociationsPage, BatchRead, CrmObject, OwnersPage, PipelinesList, SearchPage, type Owner } from '../schemas.ts';

export const SEARCH_INDEX_LAG_MS = 2 * 60_000;
/** Tickets per v4 batch association read: HubSpot's limit. */
export const ASSOCIATION_BATCH = 1_000;
const ASSOCIATION_TYPES = ['emails', 'notes', 'contacts'] as const;
type AssociationType = (typeof ASSOCIATION_TYPES)[number];

export interface TicketPhaseOptions extends PhaseOptions {
  ticketProperties: readonly string[];
}

function stampOf(ticket: CrmObject): number {
  const value = ticket.properties.hs_lastmodifieddate;
  const parsed = value && /^\d+$/.test(value) ? Number(value) : Date.parse(value ?? '');
  return Number.isNaN(parsed) ? Date.parse(ticket.updatedAt) : parsed;
}

/** One sort rule, in the documented object form: the SDK types `sorts` as strings but sends them unchanged. */
function searchRequest(filters: Filter[], sortBy: string, properties: string[], limit: number): PublicObjectSearchRequest {
  const sorts = [{ propertyName: sortBy, direction: 'ASCENDING' }] as unknown as string[];
  return { filterGroups: [{ filters }], sorts, properties, limit };
}

export class TicketDetails {
  private owners: Map<string, Owner> | null = null;
  private stages: PipelineStages | null = null;
  /** Tickets skipped because they were deleted between the search and the reading of their messages. */
  deleted = 0;
  private readonly people = new PeopleCache();

  constructor(
    private readonly api: HubSpotApi,
    private readonly options: Pick<TicketPhaseOptions, 'ticketProperties' | 'log'>,
    private readonly signal: AbortSignal | undefined,
  ) {}

  get properties(): string[] {
    return [...new Set([...TICKET_PROPERTIES, ...this.options.ticketProperties])];
  }

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

  /**
   * https://developers.hubspot.com/docs/api/crm/pipelines: which stages close a ticket (metadata
   * ticketState CLOSED), so tickets in custom pipelines say "closed" too. Without access, closed_date decides.
   */
  async loadStages(): Promise<PipelineStages> {
    if (this.stages) return this.stages;
    const stages = new Map<string, { label: string | null | undefined; closed: boolean }>();
    try {
      const pipelines = await this.api.crm('list ticket pipelines', (apis, options) => apis.pipelines.getAll('tickets', options), PipelinesList, this.signal);
      for (const pipeline of pipelines.results) {
        for (const stage of pipeline.stages) stages.set(`${pipeline.id}/${stage.id}`, { label: stage.label, closed: stage.metadata?.ticketState === 'CLOSED' });
      }
    } catch (error) {
      if (!(error instanceof VendorError) || error.kind !== 'forbidden') throw error;
      this.options.log?.warn({ vendor: 'hubspot' }, `ticket pipelines unreadable, closed tickets are told by closed_date: ${error.message}`);
    }
    this.stages = stages;
    return stages;
  }

  /** https://developers.hubspot.com/docs/api/crm/understanding-the-crm#retrieve-a-record (write-back reads one ticket); null once deleted. */
  async ticket(id: string): Promise<CrmObject | null> {
    try {
      return await this.api.crm(`read ticket ${id}`, (apis, options) => apis.tickets.getById(id, this.properties, undefined, undefined, false, undefined, options), CrmObject, this.signal);
    } catch (error) {
      if (error instanceof VendorError && error.kind === 'not_found') return null;
      throw error;
    }
  }

  /**
   * https://developers.hubspot.com/docs/api-reference/crm-associations-v4/batch/post-crm-v4-associations-fromObjectType-toObjectType-batch-read
   * Ids in association order; a ticket with more than one page of them has the rest read on its own.
   */
  private async associations(type: AssociationType, ticketIds: string[], gone: Set<string>): Promise<Map<string, string[]>> {
    const found = new Map<string, string[]>();
    for (const slice of chunks(ticketIds, ASSOCIATION_BATCH)) {
      const input = { inputs: slice.map((id) => ({ id })) };
      const batch = await this.api.crm(`find the ${type} of ${slice.length} tickets`, (apis, options) => apis.associationsV4Batch.getPage('tickets', type, input, options), AssociationsBatch, this.signal);
      for (const error of batch.errors ?? []) if (error.category === 'OBJECT_NOT_FOUND') for (const id of error.context?.ids ?? []) gone.add(id);
      for (const result of batch.results) {
        const ids = result.to.map((to) => to.toObjectId);
        for (let after = result.paging?.next?.after ?? null; after; ) {
          const cursor = after;
          // https://developers.hubspot.com/docs/api-reference/crm-associations-v4/basic/get-crm-v4-objects-objectType-objectId-associations-toObjectType
          const page = await this.api.crm(`list more ${type} of ticket ${result.from.id}`, (apis, options) => apis.associationsV4Basic.getPage('tickets', result.from.id, type, cursor, 500, options), AssociationsPage, this.signal);
          ids.push(...page.results.map((to) => to.toObjectId));
          after = page.paging?.next?.after ?? null;
        }
        found.set(result.from.id, ids);
      }
    }
    return found;
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

  /**
   * Tickets as search (or a read) returned them, with every property the mapping needs →
   * conversations. A ticket deleted between the search and its associations is left out (and
   * counted): stored without its messages it would look like a ticket whose messages were removed.
   */
  async conversations(listed: CrmObject[]): Promise<Conversation[]> {
    if (!listed.length) return [];
    const gone = new Set<string>();
    const ids = listed.map((ticket) => ticket.id);
    const associated = {
      emails: await this.associations('emails', ids, gone),
      notes: await this.associations('notes', ids, gone),
      contacts: await this.associations('contacts', ids, gone),
    };
    const tickets = listed.filter((ticket) => !gone.has(ticket.id));
    if (gone.size) {
      this.deleted += gone.size;
      this.options.log?.warn({ vendor: 'hubspot', deleted: gone.size, total: this.deleted }, 'tickets deleted between the search and the reading of their messages; skipped');
    }
    const all = (type: AssociationType) => ids.flatMap((id) => associated[type].get(id) ?? []);
    const emails = await this.read('emails', all('emails'), EMAIL_PROPERTIES);
    const notes = await this.read('notes', all('notes'), NOTE_PROPERTIES);
    await this.people.loadContacts(this.api, all('contacts'), this.signal);
    const owners = await this.loadOwners();
    const stages = await this.loadStages();
    const pick = (id: string, type: AssociationType, from: ReadonlyMap<string, CrmObject>) => (associated[type].get(id) ?? []).flatMap((other) => from.get(other) ?? []);
    return tickets.map((ticket) =>
      ticketToConversation(
        { ticket, emails: pick(ticket.id, 'emails', emails), notes: pick(ticket.id, 'notes', notes), contacts: pick(ticket.id, 'contacts', this.people.contacts) },
        owners,
        this.options.ticketProperties,
        stages,
      ),
    );
  }
}

interface Found {
  ticket: CrmObject;
  scannedAt: number;
}

/** The search's pages from the position onwards, each with HubSpot's clock when it was read. */
async function* searchPages(api: HubSpotApi, start: TicketPosition, properties: string[], pageSize: number, signal: AbortSignal | undefined, log: PhaseOptions['log']): AsyncGenerator<Found[]> {
  const anchor = start.scannedAt === null ? start.since : Math.max(0, Math.min(start.since, start.scannedAt - SEARCH_INDEX_LAG_MS));
  const front = new ScanFront(anchor, anchor === start.since ? start.seen : []);
  /** While more than a page of tickets shares front.at: walking them by hs_object_id after this id. */
  let tieAfterId: string | null = null;
  for (;;) {
    signal?.throwIfAborted();
    const at = String(front.at);
    const request: PublicObjectSearchRequest =
      tieAfterId === null
        ? searchRequest([{ propertyName: 'hs_lastmodifieddate', operator: FilterOperatorEnum.Gte, value: at }], 'hs_lastmodifieddate', properties, pageSize)
        : searchRequest([{ propertyName: 'hs_lastmodifieddate', operator: FilterOperatorEnum.Eq, value: at }, { propertyName: 'hs_object_id', operator: FilterOperatorEnum.Gt, value: tieAfterId }], 'hs_object_id', properties, pageSize);
    // https://developers.hubspot.com/docs/api/crm/search
    const page: z.infer<typeof SearchPage> = await api.crm(`search tickets modified since ${new Date(front.at).toISOString()}`, (apis, callOptions) => apis.ticketsSearch.doSearch(request, callOptions), SearchPage, signal, undefined, 'search');
    const scannedAt = api.lastAnswerAt?.getTime() ?? Date.now();
    const fresh = page.results.filter((ticket) => !front.has(stampOf(ticket), ticket.id));
    for (const ticket of page.results) front.observe(stampOf(ticket), ticket.id);
    log?.debug({ vendor: 'hubspot', tickets: page.results.length, fresh: fresh.length, total: page.total }, 'ticket search page');
    yield fresh.map((ticket) => ({ ticket, scannedAt }));

    const full = page.results.length >= pageSize;
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

export async function* harvestTickets(api: HubSpotApi, start: TicketPosition, options: TicketPhaseOptions, signal?: AbortSignal): AsyncGenerator<PhaseStep<TicketPosition>> {
  const details = new TicketDetails(api, options, signal);
  let position = start;
  let gathered: Found[] = [];
  /** Turns the first `count` gathered tickets into conversations; the rest wait for the next chunk. */
  const flush = async function* (count: number): AsyncGenerator<PhaseStep<TicketPosition>> {
    const chunk = gathered.slice(0, count);
    gathered = gathered.slice(count);
    const conversations = await details.conversations(chunk.map((found) => found.ticket));
    const byId = new Map(conversations.map((conversation) => [conversation.sourceId, conversation]));
    for (const batch of chunks(chunk, options.batchSize)) {
      for (const { ticket, scannedAt } of batch) position = { ...advance(position, stampOf(ticket), ticket.id), scannedAt };
      yield { conversations: batch.flatMap(({ ticket }) => byId.get(`ticket:${ticket.id}`) ?? []), position };
    }
  };
  for await (const fresh of searchPages(api, start, details.properties, options.pageSize, signal, options.log)) {
    gathered.push(...fresh);
    // Whole chunks of 1,000: one association read per type covers each.
    while (gathered.length >= ASSOCIATION_BATCH) yield* flush(ASSOCIATION_BATCH);
  }
  if (gathered.length) yield* flush(gathered.length);
}
