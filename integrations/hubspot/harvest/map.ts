/**
 * Raw HubSpot records (schemas.ts) → the normalized Conversation. Two kinds of conversations, whose
 * ids never collide: inbox threads (`thread:<id>`, map-thread.ts) and CRM tickets (`ticket:<id>`,
 * map-ticket.ts). This file holds what both share: people, languages and plain text.
 */
import { htmlToText } from '../../common/html-to-text.ts';
import type { Person } from '../../types.ts';
import type { CrmObject, Owner } from '../schemas.ts';

export const THREAD_PREFIX = 'thread:';
export const TICKET_PREFIX = 'ticket:';

/** Properties read from contacts: the requester's name, email, language and company. */
export const CONTACT_PROPERTIES = ['firstname', 'lastname', 'email', 'hs_language', 'associatedcompanyid'];

/** Plain text: HubSpot's plain version when it has one, else its HTML turned into text. */
export function plainText(text: string | null | undefined, html: string | null | undefined): string {
  if (text && text.trim()) return text.trim();
  return html ? htmlToText(html) : '';
}

export function fullName(first: string | null | undefined, last: string | null | undefined): string | null {
  const name = [first, last].filter((part) => part && part.trim()).join(' ').trim();
  return name || null;
}

export function contactPerson(contact: CrmObject | undefined, id: string | null | undefined): Person | null {
  if (!id) return null;
  if (!contact) return { id, name: null, email: null };
  return { id, name: fullName(contact.properties.firstname, contact.properties.lastname), email: contact.properties.email ?? null };
}

export function ownerPerson(owner: Owner | undefined, id: string | null | undefined): Person | null {
  if (!id) return null;
  return { id, name: fullName(owner?.firstName, owner?.lastName), email: owner?.email ?? null };
}

/** "en-us" → "en": the language, not the formatting locale. */
export function languageOf(contact: CrmObject | undefined): string | null {
  const primary = contact?.properties.hs_language?.split(/[-_]/)[0]?.toLowerCase();
  return primary ? primary : null;
}

/** "2025-01-06T08:00:00Z" or epoch milliseconds, as HubSpot writes datetime properties. */
export function propertyDate(value: string | null | undefined, fallback: string): Date {
  if (value && /^\d+$/.test(value)) return new Date(Number(value));
  const parsed = value ? Date.parse(value) : Number.NaN;
  return new Date(Number.isNaN(parsed) ? fallback : parsed);
}
