/**
 * PII scrubbing for curation. One scrub session per conversation, so "Anna Schmidt" is [NAME_1] in
 * every example cut from it; the ticket's requester, assignee and message authors are known people
 * (replaced in every spelling). Texts are scrubbed lazily and once: extract asks only for the
 * subject and messages it uses, and the several examples of one conversation share the results.
 */
import { PII_TYPES, Scrubber, type KnownPerson, type PiiType, type ScrubConfigInput } from '../pii/index.ts';
import type { Counts, SourceConversation } from '../types.ts';

/** The texts of one conversation as extract sees them. */
export interface ConversationTexts {
  subject(): string;
  body(index: number): string;
  /** A free text of the conversation (a label value): scrubbed in the same session. */
  other(text: string): string;
}

export interface ScrubStats {
  texts: number;
  replacements: Record<PiiType, number>;
}

/** Texts as they are, for tests of extract alone and for tasks that need no scrubbing. */
export function rawTexts(conversation: SourceConversation): ConversationTexts {
  return { subject: () => conversation.subject ?? '', body: (i) => conversation.messages[i]?.body ?? '', other: (t) => t };
}

type NamedPerson = { name: string | null; email: string | null } | null;

/** Requester, assignee and message authors: a stored conversation, or a ticket as the vendor sent it. */
export function knownPeopleOf(conversation: { requester: NamedPerson; assignee: NamedPerson; messages: ReadonlyArray<{ author: NamedPerson }> }): KnownPerson[] {
  const people = new Map<string, KnownPerson>();
  const add = (p: NamedPerson) => {
    if (!p || (!p.name && !p.email)) return;
    const key = `${p.name ?? ''}|${p.email ?? ''}`.toLowerCase();
    if (!people.has(key)) people.set(key, { name: p.name, email: p.email });
  };
  add(conversation.requester);
  add(conversation.assignee);
  for (const message of conversation.messages) add(message.author);
  return [...people.values()];
}

export class CurationScrubber {
  private readonly scrubber: Scrubber;
  private texts = 0;
  private readonly totals = Object.fromEntries(PII_TYPES.map((t) => [t, 0])) as Record<PiiType, number>;

  constructor(config: Record<string, unknown> = {}) {
    this.scrubber = new Scrubber(config as ScrubConfigInput);
  }

  forConversation(conversation: SourceConversation): ConversationTexts {
    const session = this.scrubber.session();
    const knownPeople = knownPeopleOf(conversation);
    const bodies = new Map<number, string>();
    const others = new Map<string, string>();
    let subject: string | undefined;
    const scrub = (text: string): string => {
      if (!text) return text;
      const result = session.scrub(text, { knownPeople });
      this.texts++;
      for (const type of PII_TYPES) this.totals[type] += result.replacements[type];
      return result.text;
    };
    return {
      subject: () => (subject ??= scrub(conversation.subject ?? '')),
      body: (index) => {
        let text = bodies.get(index);
        if (text === undefined) bodies.set(index, (text = scrub(conversation.messages[index]?.body ?? '')));
        return text;
      },
      other: (text) => {
        let scrubbed = others.get(text);
        if (scrubbed === undefined) others.set(text, (scrubbed = scrub(text)));
        return scrubbed;
      },
    };
  }

  /** One standalone text (an uploaded example's message) in the given session of its own. */
  sessionTexts(): (text: string) => string {
    const session = this.scrubber.session();
    return (text) => {
      const result = session.scrub(text);
      this.texts++;
      for (const type of PII_TYPES) this.totals[type] += result.replacements[type];
      return result.text;
    };
  }

  stats(): ScrubStats {
    return { texts: this.texts, replacements: { ...this.totals } };
  }
}

export function countsOf(stats: ScrubStats): Counts {
  return { ...stats.replacements };
}
