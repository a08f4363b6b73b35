/**
 * Person names from the trained tagger (model.ts + tagger.ts), with the session's memory as a
 * second opinion: a capitalised word of a name found earlier in the conversation, or of a person
 * the vendor named on the ticket, is a name wherever it appears again ("Frau Schmidt" after
 * "Anna Schmidt"), even where the tagger alone would not say so. Words of the config's
 * `allowWords` are never names. Known people themselves are matched by known-people.ts first.
 *
 * Name tokens separated by one space form one span: "Anna Schmidt" is one person even where the
 * tagger starts a second name at "Schmidt".
 *
 * The tagger is built on first use; a missing or broken model file throws NerModelError.
 */
import { STOP } from '../name-lexicon.ts';
import type { RawSpan } from '../types.ts';
import { LABELS, lexiconFlag } from './features.ts';
import { nerModel } from './model.ts';
import { NerTagger } from './tagger.ts';

export interface NerNameOptions {
  /** Lowercased name words already seen in this conversation; they count alone. */
  memory?: ReadonlySet<string>;
  /** Lowercased words never taken for names. */
  allowWords?: ReadonlySet<string>;
}

const PER_B = LABELS.indexOf('B-PER');
const PER_I = LABELS.indexOf('I-PER');

let tagger: NerTagger | undefined;

/** The process-wide tagger of the model in use (loads it on the first call). */
export function nerTagger(): NerTagger {
  tagger ??= new NerTagger(nerModel());
  return tagger;
}

export function detectNerNames(text: string, out: RawSpan[], opts: NerNameOptions = {}): void {
  const tagger = nerTagger();
  const { n, start, end, labels } = tagger.tag(text);
  const allow = opts.allowWords !== undefined && opts.allowWords.size > 0 ? opts.allowWords : undefined;
  const memory = opts.memory !== undefined && opts.memory.size > 0 ? opts.memory : undefined;
  let from = -1; // the open span
  let to = -1;
  for (let i = 0; i < n; i++) {
    const label = labels[i];
    let isName = label === PER_B || label === PER_I;
    if (isName || memory !== undefined) {
      const tok = tagger.token(i);
      if (!isName) isName = remembered(tok.lower, tok.capitalised, memory as ReadonlySet<string>);
      if (isName && allow?.has(tok.lower)) isName = false;
    }
    if (!isName) {
      if (from >= 0) out.push({ start: from, end: to, type: 'NAME', value: text.slice(from, to) });
      from = -1;
      continue;
    }
    const s = start[i] as number;
    // I-PER continues the open name; other name words continue it over one space ("Anna" B-PER,
    // "Schmidt" B-PER is one name).
    if (from >= 0 && (label === PER_I || (s === to + 1 && text.charCodeAt(to) === 32))) to = end[i] as number;
    else {
      if (from >= 0) out.push({ start: from, end: to, type: 'NAME', value: text.slice(from, to) });
      from = s;
      to = end[i] as number;
    }
  }
  if (from >= 0) out.push({ start: from, end: to, type: 'NAME', value: text.slice(from, to) });
}

/** A remembered name word: capitalised, not all capitals (as the word-list detector had it), no function word. */
function remembered(lower: string, capitalised: boolean, memory: ReadonlySet<string>): boolean {
  return capitalised && lower.length >= 3 && memory.has(lower) && (lexiconFlag(lower) & STOP) === 0;
}
