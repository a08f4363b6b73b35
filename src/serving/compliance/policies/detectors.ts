/**
 * One function per detector type, compiled once from a policy's `detector` block:
 * text → evidence spans (start, end, excerpt). Evidence may be personal data: it is stored on the
 * alert, never logged.
 */
import { detectPii } from '../../../datasets/pii/index.ts';
import type { EvidenceSpan } from '../../../db/schema/index.ts';
import { compilePhrases, findPhrases } from './phrase-matcher.ts';
import { ADVICE_PHRASES, PROMISE_PHRASES } from './phrases.ts';
import type { DetectorSpec } from './schema.ts';
import { SafeRegex } from './safe-regex.ts';

export interface MessageToScan {
  authorRole: 'customer' | 'agent' | 'bot' | 'system';
  visibility: 'public' | 'internal';
  body: string;
}

export type Detector = (text: string) => EvidenceSpan[];

/** Spans kept per alert: enough to show and to label, bounded for a message that repeats itself. */
export const MAX_EVIDENCE = 20;
const MAX_EXCERPT = 200;
/**
 * Characters of one message that are scanned. Support messages are far shorter; a pasted log or
 * an attack beyond this is cut, so one message costs bounded time.
 */
export const MAX_SCAN_CHARS = 200_000;

function span(text: string, start: number, end: number, kind: string): EvidenceSpan {
  return { start, end, excerpt: text.slice(start, Math.min(end, start + MAX_EXCERPT)), kind };
}

export function compileDetector(spec: DetectorSpec): Detector {
  switch (spec.type) {
    case 'keyword': {
      const pattern = compilePhrases(spec.terms);
      return (text) => findPhrases(pattern, cap(text), { negatable: false, limit: MAX_EVIDENCE }).map((hit) => span(text, hit.start, hit.end, 'keyword'));
    }
    case 'forbidden_promise': {
      const pattern = compilePhrases([...spec.languages.flatMap((language) => PROMISE_PHRASES[language]), ...spec.phrases]);
      return (text) => findPhrases(pattern, cap(text), { negatable: true, limit: MAX_EVIDENCE }).map((hit) => span(text, hit.start, hit.end, 'promise'));
    }
    case 'regulated_advice': {
      const byDomain = spec.domains.map((domain) => ({
        domain,
        pattern: compilePhrases(spec.languages.flatMap((language) => ADVICE_PHRASES[domain][language])),
      }));
      const custom = spec.phrases.length ? compilePhrases(spec.phrases) : null;
      return (text) => {
        const scanned = cap(text);
        const spans = byDomain.flatMap(({ domain, pattern }) => findPhrases(pattern, scanned, { negatable: true, limit: MAX_EVIDENCE }).map((hit) => span(text, hit.start, hit.end, `${domain}_advice`)));
        if (custom) spans.push(...findPhrases(custom, scanned, { negatable: true, limit: MAX_EVIDENCE }).map((hit) => span(text, hit.start, hit.end, 'advice')));
        return spans.sort((a, b) => a.start - b.start).slice(0, MAX_EVIDENCE);
      };
    }
    case 'regex': {
      const regex = new SafeRegex(spec.pattern, spec.flags);
      return (text) => regex.match(cap(text), MAX_EVIDENCE).map((hit) => span(text, hit.start, hit.end, 'pattern'));
    }
    case 'pii_outbound': {
      const wanted = new Set<string>(spec.types);
      const allowed = allowList(spec.allow);
      return (text) =>
        detectPiiChunked(cap(text))
          .filter((found) => wanted.has(found.type) && found.end - found.start >= spec.minLength && !allowed(found.value))
          .slice(0, MAX_EVIDENCE)
          .map((found) => span(text, found.start, found.end, found.type));
    }
  }
}

/**
 * The PII detector in overlapping windows: on some hostile inputs (e.g. "x@" repeated) its cost
 * grows faster than the length (1.5 s for 100 KB in one piece), so windows bound it. A span is
 * found whole when it is shorter than the overlap.
 */
const PII_WINDOW = 8_000;
const PII_OVERLAP = 256;

function detectPiiChunked(text: string) {
  if (text.length <= PII_WINDOW) return detectPii(text);
  const seen = new Set<string>();
  const spans: ReturnType<typeof detectPii> = [];
  for (let from = 0; from < text.length; from += PII_WINDOW - PII_OVERLAP) {
    for (const found of detectPii(text.slice(from, from + PII_WINDOW))) {
      const start = found.start + from;
      const key = `${start}:${found.type}`;
      if (seen.has(key)) continue;
      seen.add(key);
      spans.push({ ...found, start, end: found.end + from });
    }
    if (from + PII_WINDOW >= text.length) break;
  }
  return spans.sort((a, b) => a.start - b.start);
}

const normalize = (value: string) => value.toLowerCase().replace(/[\s\-().]/g, '');

function allowList(entries: readonly string[]): (value: string) => boolean {
  const exact = new Set(entries.filter((entry) => !entry.startsWith('@')).map(normalize));
  const domains = entries.filter((entry) => entry.startsWith('@')).map((entry) => entry.toLowerCase());
  return (value) => exact.has(normalize(value)) || domains.some((domain) => value.toLowerCase().endsWith(domain));
}

function cap(text: string): string {
  return text.length > MAX_SCAN_CHARS ? text.slice(0, MAX_SCAN_CHARS) : text;
}
