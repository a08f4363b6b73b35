/**
 * The suppression list: hashes of erased subjects' normalised emails and vendor person ids, never
 * the values. A later harvest leaves their conversations and messages out, and drafts and triage
 * skip their tickets, so an erasure is not undone by the next sync. The audit record and these
 * hashes are all that an erasure keeps of a subject.
 */
import { createHash } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { Tx } from '../db/client.ts';

interface PersonLike {
  id?: string | null;
  email?: string | null;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

export const emailHash = (email: string) => sha256(`email:${email.trim().toLowerCase()}`);
/** A vendor person id, per connection (ids of different vendors may collide). */
export const personHash = (connectionId: string, id: string) => sha256(`person:${connectionId}:${id.trim()}`);

/** The hashes a person can be suppressed under on one connection. */
export function hashesOf(connectionId: string, person: PersonLike | null | undefined): string[] {
  if (!person) return [];
  const out: string[] = [];
  if (person.email?.trim()) out.push(emailHash(person.email));
  if (person.id?.trim()) out.push(personHash(connectionId, person.id));
  return out;
}

export async function suppressedAmong(tx: Tx, hashes: string[]): Promise<Set<string>> {
  if (hashes.length === 0) return new Set();
  const result = await tx.execute<{ hash: string }>(sql`SELECT hash FROM gdpr_suppressions WHERE hash = ANY(${sql.param([...new Set(hashes)])}::text[])`);
  return new Set(result.rows.map((row) => row.hash));
}

interface ConversationLike {
  requester: PersonLike | null;
  messages: Array<{ author: PersonLike | null }>;
}

/**
 * Conversations without erased subjects: one they requested is left out whole, a message they
 * wrote in someone else's conversation is left out of it. One query per batch.
 */
export async function withoutSuppressed<C extends ConversationLike>(tx: Tx, connectionId: string, batch: C[]): Promise<C[]> {
  // The same few people write most messages of a batch: each is hashed once.
  const seen = new Set<string>();
  const hashes: string[] = [];
  const collect = (person: PersonLike | null) => {
    if (!person) return;
    const key = `${person.id ?? ''}\u0000${person.email ?? ''}`;
    if (seen.has(key)) return;
    seen.add(key);
    hashes.push(...hashesOf(connectionId, person));
  };
  for (const c of batch) {
    collect(c.requester);
    for (const m of c.messages) collect(m.author);
  }
  const suppressed = await suppressedAmong(tx, hashes);
  if (suppressed.size === 0) return batch;
  const isSuppressed = (person: PersonLike | null) => hashesOf(connectionId, person).some((h) => suppressed.has(h));
  return batch.filter((c) => !isSuppressed(c.requester)).map((c) => (c.messages.some((m) => isSuppressed(m.author)) ? { ...c, messages: c.messages.filter((m) => !isSuppressed(m.author)) } : c));
}

export const ERASED_REQUESTER = "the requester's data was erased (GDPR): their tickets get no drafts or triage";

/** Whether a ticket's requester was erased: drafts and triage leave such a ticket alone. */
export async function requesterSuppressed(tx: Tx, connectionId: string, conversation: { requester: PersonLike | null }): Promise<boolean> {
  return (await suppressedAmong(tx, hashesOf(connectionId, conversation.requester))).size > 0;
}
