/**
 * Finds runs of digits with the separators people type inside phone and card numbers
 * ("+49 (0)30 1234-5678", "4111 1111 1111 1111", "03.93.92.16.85"). Every repetition of the
 * regex ends in a digit and separators are at most three characters, so a failed repetition
 * backtracks at most three characters: linear even on 100 KB of digits and spaces.
 */

const RUN = /(?:\+|\(\+?|\b00)?\d(?:[ \u00A0().\/-]{0,3}\d)*(?: ?(?:x|ext\.?|Durchwahl|DW) ?\d{1,6}\b)?/g;

export interface NumericRun {
  start: number;
  end: number;
  /** The run as typed. */
  text: string;
  /** Only its digits. */
  digits: string;
  /** Digit counts of the groups between separators, e.g. [3, 4] for "467 3395". */
  groups: number[];
  /** The separator characters used, deduplicated, e.g. " -". */
  separators: string;
}

// Runs longer than this are split at whitespace: no phone, card or IBAN has more digits.
const MAX_RUN_DIGITS = 24;

export function forEachNumericRun(text: string, fn: (run: NumericRun) => void): void {
  RUN.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = RUN.exec(text)) !== null) {
    const run = describe(text, m.index, m.index + m[0].length);
    if (run.digits.length <= MAX_RUN_DIGITS) {
      fn(run);
      continue;
    }
    // Hostile or tabular input: treat each whitespace-separated piece on its own.
    const end = m.index + m[0].length;
    let i = m.index;
    while (i < end) {
      while (i < end && isSpace(text.charCodeAt(i))) i++;
      let j = i;
      while (j < end && !isSpace(text.charCodeAt(j))) j++;
      if (j > i) fn(describe(text, i, j));
      i = j;
    }
  }
}

function isSpace(c: number): boolean {
  return c === 32 || c === 0xa0;
}

export function describe(text: string, start: number, end: number): NumericRun {
  let digits = '';
  let separators = '';
  const groups: number[] = [];
  let group = 0;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      digits += text[i];
      group++;
    } else {
      if (group > 0) groups.push(group);
      group = 0;
      const ch = text[i] as string;
      if (!separators.includes(ch)) separators += ch;
    }
  }
  if (group > 0) groups.push(group);
  return { start, end, text: text.slice(start, end), digits, groups, separators };
}
