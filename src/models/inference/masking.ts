/**
 * Masking on the way to external models (issue 20; the pattern of Salesforce's Einstein Trust
 * Layer): before a prompt leaves for a provider outside the customer's infrastructure, personal
 * data is replaced by numbered placeholders, and the placeholders in the answer are put back before
 * anyone sees it. The curation scrubber finds the data (src/datasets/pii/, with the ticket's known
 * people); one scrub session spans the whole prompt, so "Anna Schmidt" is [NAME_1] in every message.
 *
 * Numbers start after the placeholders already in the prompt (retrieved examples and training data
 * were scrubbed before): those stay as they are and are never "restored". Models echo placeholders
 * loosely, so restoring also takes `[ NAME_1 ]`, `{NAME_1}`, `{{NAME_1}}`, `<NAME_1>` and a bare
 * `NAME_1`; in a JSON answer the value is escaped as a JSON string's content.
 *
 * MASK_PROMPTS: `external` (default: OpenAI-backed models only), `all` (the local server too), `off`.
 */
import type { Config } from '../../config.ts';
import { defaultScrubber } from '../../datasets/pii/default-scrubber.ts';
import { PII_TYPES, type KnownPerson, type PiiType } from '../../datasets/pii/index.ts';
import { inferenceMasked } from './metrics.ts';

// Structural, not imported from client.ts: the client imports this file (no cycles, type-only ones included).
interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}
type ServedModel = { backend: string };

export type MaskMode = Config['MASK_PROMPTS'];

const TYPES = PII_TYPES.join('|');
/** A placeholder the scrubber writes: [NAME_1]. */
const PLACEHOLDER = new RegExp(`\\[(${TYPES})_(\\d+)\\]`, 'g');
/** A placeholder as a model may echo it: bracketed loosely, or bare between non-word characters. */
const ECHOED = new RegExp(`\\[\\s*(${TYPES})_(\\d+)\\s*\\]|\\{\\{?\\s*(${TYPES})_(\\d+)\\s*\\}\\}?|<\\s*(${TYPES})_(\\d+)\\s*>|(?<![\\p{L}\\p{N}_])(${TYPES})_(\\d+)(?![\\p{L}\\p{N}_])`, 'gu');

export function shouldMask(mode: MaskMode, model: Pick<ServedModel, 'backend'>): boolean {
  if (mode === 'off') return false;
  return mode === 'all' || model.backend === 'openai';
}

export interface MaskedPrompt {
  messages: ChatMessage[];
  /** Placeholder → the value it stands for; only the ones this masking made. */
  values: Map<string, string>;
  counts: Record<PiiType, number>;
}

/** The highest number per type among the placeholders already in the texts. */
function highestPlaceholders(texts: string[]): Map<PiiType, number> {
  const highest = new Map<PiiType, number>();
  for (const text of texts) {
    for (const match of text.matchAll(PLACEHOLDER)) {
      const type = match[1] as PiiType;
      highest.set(type, Math.max(highest.get(type) ?? 0, Number(match[2])));
    }
  }
  return highest;
}

export function maskPrompt(messages: ChatMessage[], knownPeople: readonly KnownPerson[] = []): MaskedPrompt {
  const session = defaultScrubber().session();
  for (const [type, n] of highestPlaceholders(messages.map((m) => m.content))) session.reserve(type, n);
  const values = new Map<string, string>();
  const counts = Object.fromEntries(PII_TYPES.map((t) => [t, 0])) as Record<PiiType, number>;
  const masked = messages.map((message) => {
    const result = session.scrub(message.content, { knownPeople });
    if (result.spans.length === 0) return message;
    // Walk the output beside the spans: each span's placeholder sits where the span started, shifted by earlier replacements.
    let shift = 0;
    for (const span of result.spans) {
      const at = span.start + shift;
      const match = /^\[[A-Z]+_\d+\]/.exec(result.text.slice(at));
      if (!match) throw new Error('masking: the scrubbed text does not hold a placeholder where a span was replaced');
      const placeholder = match[0];
      // The first spelling seen is the one restored ("Anna Schmidt" rather than a later "Schmidt").
      if (!values.has(placeholder)) values.set(placeholder, span.value);
      counts[span.type]++;
      shift += placeholder.length - (span.end - span.start);
    }
    return { ...message, content: result.text };
  });
  return { messages: masked, values, counts };
}

/** Puts the values back into a model's answer; in a JSON answer, escaped for a JSON string. */
export function restoreAnswer(text: string, values: ReadonlyMap<string, string>, options: { json?: boolean } = {}): string {
  if (values.size === 0) return text;
  return text.replace(ECHOED, (whole, ...groups: Array<string | undefined>) => {
    const type = groups[0] ?? groups[2] ?? groups[4] ?? groups[6];
    const n = groups[1] ?? groups[3] ?? groups[5] ?? groups[7];
    const value = values.get(`[${type}_${n}]`);
    if (value === undefined) return whole;
    return options.json ? JSON.stringify(value).slice(1, -1) : value;
  });
}

/** Counts what was masked, per backend and type (never the values). */
export function countMasked(model: Pick<ServedModel, 'backend'>, counts: Record<PiiType, number>): void {
  for (const type of PII_TYPES) if (counts[type] > 0) inferenceMasked.labels(model.backend, type).inc(counts[type]);
}
