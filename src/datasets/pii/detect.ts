/**
 * Runs every detector and resolves overlaps. Overlapping spans are merged into their union (never
 * leave half a phone number behind), typed by the most specific detector: a URL or email that
 * contains a name stays a URL/email, a street inside "Max-Müller-Straße 5" stays an address.
 */
import { resolveConfig, type CompiledConfig, type ScrubConfigInput } from './config.ts';
import { detectAddresses } from './detect-address.ts';
import { detectEmails } from './detect-email.ts';
import { detectIbans } from './detect-iban.ts';
import { detectIds } from './detect-ids.ts';
import { detectIps } from './detect-ip.ts';
import { detectNumbers } from './detect-numbers.ts';
import { detectUrls } from './detect-url.ts';
import { detectKnownPeople } from './known-people.ts';
import { detectNerNames } from './ner/detect-ner.ts';
import type { KnownPerson, PiiType, RawSpan, ScrubContext, Span } from './types.ts';

const PRIORITY: Record<PiiType, number> = { URL: 9, EMAIL: 8, IBAN: 7, CARD: 7, IP: 6, ADDRESS: 5, ID: 4, PHONE: 3, NAME: 2 };

function rank(s: RawSpan): number {
  // A known person outranks a guessed name, so the merged span keeps the person's placeholder.
  return PRIORITY[s.type] + (s.key?.startsWith('person:') ? 0.5 : 0);
}

export interface DetectOptions {
  /** Lowercased name words seen earlier in the conversation. */
  nameMemory?: ReadonlySet<string>;
  /** Config-level people (extraNames), already normalised. */
  extraPeople?: readonly KnownPerson[];
}

const DIGIT = /\d/;

/** All raw spans, merged. Used by the session; `detectPii` below is the plain-span view. */
export function detectRaw(text: string, ctx: ScrubContext, cc: CompiledConfig, opts: DetectOptions = {}): RawSpan[] {
  const { detect, urls } = cc.config;
  const raw: RawSpan[] = [];
  const people = opts.extraPeople?.length ? [...(ctx.knownPeople ?? []), ...opts.extraPeople] : (ctx.knownPeople ?? []);
  detectKnownPeople(text, raw, people);
  detectUrls(text, raw, urls);
  if (detect.emails && text.includes('@')) detectEmails(text, raw);
  const hasDigit = DIGIT.test(text);
  if (hasDigit) {
    if (detect.ibans) detectIbans(text, raw);
    if (detect.ips) detectIps(text, raw);
    if (detect.addresses) detectAddresses(text, raw);
    if (detect.ids) detectIds(text, raw, cc);
    detectNumbers(text, raw, cc);
  }
  // Person names: the trained tagger (ner/), plus names remembered from this conversation.
  if (detect.names) detectNerNames(text, raw, { memory: opts.nameMemory, allowWords: cc.allowWords });
  return merge(raw, text);
}

function merge(raw: RawSpan[], text: string): RawSpan[] {
  if (raw.length <= 1) return raw;
  raw.sort((a, b) => a.start - b.start || b.end - a.end);
  const out: RawSpan[] = [];
  let cur = raw[0] as RawSpan;
  let best = cur; // highest-ranked member of the current group
  let keyed: RawSpan | undefined = cur.key ? cur : undefined;
  const flush = () => {
    const value = text.slice(cur.start, cur.end);
    const key = keyed && (keyed.type === best.type || keyed === best) ? keyed.key : undefined;
    out.push(key ? { start: cur.start, end: cur.end, type: best.type, value, key } : { start: cur.start, end: cur.end, type: best.type, value });
  };
  for (let i = 1; i < raw.length; i++) {
    const s = raw[i] as RawSpan;
    // Address parts separated only by a comma or line break are one address.
    const joins = s.start < cur.end || (s.type === 'ADDRESS' && best.type === 'ADDRESS' && /^[\s,]{0,3}$/.test(text.slice(cur.end, s.start)));
    if (joins) {
      if (s.end > cur.end) cur = { ...cur, end: s.end };
      if (rank(s) > rank(best)) best = s;
      if (s.key && (!keyed || rank(s) > rank(keyed))) keyed = s;
      continue;
    }
    flush();
    cur = s;
    best = s;
    keyed = s.key ? s : undefined;
  }
  flush();
  return out;
}

/** Personal data in `text` as non-overlapping spans, sorted by start (used by the evaluation). */
export function detectPii(text: string, ctx: ScrubContext = {}, config?: ScrubConfigInput | CompiledConfig): Span[] {
  return detectRaw(text, ctx, resolveConfig(config)).map(({ start, end, type, value }) => ({ start, end, type, value }));
}
