/**
 * Who the harvest meets, looked up in batches and remembered for the run: Conversations actors
 * (A-/V-/E-/B-/S- ids) and CRM contacts. Ids HubSpot does not know (a visitor id that is no
 * contact, a removed user) are remembered too, so they are not asked for again.
 */
import type { HubSpotApi } from '../client.ts';
import { CONTACT_PROPERTIES } from './map.ts';
import { chunks } from './scan.ts';
import { ActorsBatch, BatchRead, type CrmObject, type HubSpotActor } from '../schemas.ts';

/** Ids per batch read; HubSpot's limit for CRM batch endpoints. */
export const BATCH_LIMIT = 100;
/** Forget cached actors and contacts past this many, so a long harvest's memory stays flat. */
const CACHE_LIMIT = 50_000;

export class PeopleCache {
  readonly actors = new Map<string, HubSpotActor>();
  readonly contacts = new Map<string, CrmObject>();
  /** `actor:<id>` / `contact:<id>` HubSpot did not return. */
  readonly unknown = new Set<string>();

  remember<T>(map: Map<string, T>, id: string, value: T): void {
    if (map.size >= CACHE_LIMIT) map.clear();
    map.set(id, value);
  }

  /** https://developers.hubspot.com/docs/api-reference/conversations-conversations-inbox-&-messages-v3/public-actor/post-conversations-v3-conversations-actors-batch-read */
  async loadActors(api: HubSpotApi, ids: string[], signal?: AbortSignal): Promise<void> {
    const missing = [...new Set(ids)].filter((id) => !this.actors.has(id) && !this.unknown.has(`actor:${id}`));
    for (const slice of chunks(missing, BATCH_LIMIT)) {
      const batch = await api.conversations('look up message authors (actors)', { method: 'POST', path: '/conversations/v3/conversations/actors/batch/read', body: { inputs: slice } }, ActorsBatch, signal);
      for (const actor of batch.results) this.remember(this.actors, actor.id, actor);
      for (const id of slice) if (!this.actors.has(id)) this.unknown.add(`actor:${id}`);
    }
  }

  /** https://developers.hubspot.com/docs/api/crm/contacts (batch read) */
  async loadContacts(api: HubSpotApi, ids: string[], signal?: AbortSignal): Promise<void> {
    const missing = [...new Set(ids)].filter((id) => !this.contacts.has(id) && !this.unknown.has(`contact:${id}`));
    for (const slice of chunks(missing, BATCH_LIMIT)) {
      const input = { inputs: slice.map((id) => ({ id })), properties: CONTACT_PROPERTIES, propertiesWithHistory: [] };
      const batch = await api.crm('read contacts', (apis, options) => apis.contactsBatch.read(input, false, options), BatchRead, signal);
      for (const contact of batch.results) this.remember(this.contacts, contact.id, contact);
      for (const id of slice) if (!this.contacts.has(id)) this.unknown.add(`contact:${id}`);
    }
  }
}

