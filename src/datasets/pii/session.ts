/**
 * A scrub session is one conversation: the same value always gets the same placeholder
 * ("Anna Schmidt" → [NAME_1] in the first and the fifth message), different sessions number
 * independently, and counts add up per type. Names found once are remembered, so a later
 * "Frau Schmidt" or a bare "Schmidt" is caught and mapped to the same [NAME_1].
 */
import { resolveConfig, type CompiledConfig, type ScrubConfigInput } from './config.ts';
import { detectRaw } from './detect.ts';
import { knownNameWords } from './known-people.ts';
import { nameLexicon } from './name-lexicon.ts';
import { emptyCounts, type KnownPerson, type PiiType, type RawSpan, type ScrubContext, type Span } from './types.ts';

export interface ScrubResult {
  text: string;
  /** Replacements made in this call, per type. */
  replacements: Record<PiiType, number>;
  /** What was replaced, with offsets into the input text. */
  spans: Span[];
}

export class ScrubSession {
  private readonly placeholders = new Map<string, string>();
  private readonly next = emptyCounts();
  private readonly totals = emptyCounts();
  private readonly nameMemory = new Set<string>();
  private readonly remembered = new Set<string>();
  private readonly extraPeople: KnownPerson[];
  /** The last knownPeople list seen and it plus extraPeople: one list per conversation, so its matcher is cached by identity. */
  private lastPeople: readonly KnownPerson[] | undefined;
  private people: readonly KnownPerson[] = [];

  constructor(private readonly cc: CompiledConfig) {
    this.extraPeople = cc.config.extraNames.map((name) => ({ name }));
  }

  scrub(text: string, ctx: ScrubContext = {}): ScrubResult {
    const known = ctx.knownPeople ?? [];
    if (known !== this.lastPeople || this.lastPeople === undefined) {
      for (const w of knownNameWords(known)) this.nameMemory.add(w);
      this.lastPeople = known;
      this.people = this.extraPeople.length ? [...known, ...this.extraPeople] : known;
    }
    const spans = detectRaw(text, { knownPeople: this.people }, this.cc, { nameMemory: this.nameMemory });
    const replacements = emptyCounts();
    if (spans.length === 0) return { text, replacements, spans: [] };
    const parts: string[] = [];
    let pos = 0;
    for (const s of spans) {
      parts.push(text.slice(pos, s.start), this.placeholderFor(s));
      pos = s.end;
      replacements[s.type]++;
      this.totals[s.type]++;
    }
    parts.push(text.slice(pos));
    return { text: parts.join(''), replacements, spans: spans.map(({ start, end, type, value }) => ({ start, end, type, value })) };
  }

  /**
   * New placeholders of `type` start after `n`: a text that already holds [NAME_3] (scrubbed
   * earlier) gets [NAME_4] for the next new name, never a second, different [NAME_1].
   */
  reserve(type: PiiType, n: number): void {
    if (n > this.next[type]) this.next[type] = n;
  }

  /** Replacements so far in this session, per type. */
  counts(): Record<PiiType, number> {
    return { ...this.totals };
  }

  /** Distinct values replaced so far, per type (how many [NAME_n] exist). */
  distinct(): Record<PiiType, number> {
    return { ...this.next };
  }

  private placeholderFor(s: RawSpan): string {
    // Keys are per type: a known person's names share [NAME_n], their email gets its own [EMAIL_n].
    const key = s.key ? `${s.type}|${s.key}` : `${s.type}:${normalise(s.value)}`;
    let ph = this.placeholders.get(key);
    if (!ph && s.type === 'NAME') ph = this.nameWordPlaceholder(s.value);
    if (!ph) {
      ph = `[${s.type}_${++this.next[s.type]}]`;
    }
    this.placeholders.set(key, ph);
    if (s.type === 'NAME') this.rememberName(s.value, ph);
    return ph;
  }

  /** "Schmidt" alone after "Anna Schmidt" was [NAME_1] is [NAME_1] too. */
  private nameWordPlaceholder(value: string): string | undefined {
    const words = value.toLowerCase().split(/\s+/);
    if (words.length !== 1) return undefined;
    return this.placeholders.get(`NAMEWORD:${words[0]}`);
  }

  private rememberName(value: string, ph: string): void {
    // Remembering the same name under the same placeholder again changes nothing.
    const pair = `${ph}|${value}`;
    if (this.remembered.has(pair)) return;
    this.remembered.add(pair);
    const lex = nameLexicon();
    for (const w of value.toLowerCase().split(/\s+/)) {
      // Short or common words ("van", "Rose") would tag too much text later on.
      if (w.length < 3 || lex.common.has(w) || lex.stop.has(w)) continue;
      this.nameMemory.add(w);
      if (!this.placeholders.has(`NAMEWORD:${w}`)) this.placeholders.set(`NAMEWORD:${w}`, ph);
    }
  }
}

function normalise(value: string): string {
  return value.toLowerCase().replace(/\s+/g, ' ').trim();
}

/** A new conversation. Pass the same config object (or a compiled one) to reuse its compiled regexes. */
export function createScrubSession(config?: ScrubConfigInput | CompiledConfig): ScrubSession {
  return new ScrubSession(resolveConfig(config));
}
