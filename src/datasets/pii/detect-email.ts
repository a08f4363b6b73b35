/**
 * Email addresses. Found by scanning outwards from each '@' with bounded loops instead of a regex
 * like /[\w.+-]+@.../: such a regex restarts at every character of a long '@'-less word and goes
 * quadratic on hostile input; this scan is linear (at most 64 + 253 characters per '@').
 */
import type { RawSpan } from './types.ts';

const MAX_LOCAL = 64;
const MAX_DOMAIN = 253;

function isLocalChar(c: number): boolean {
  return (
    (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) ||
    c === 46 || c === 95 || c === 37 || c === 43 || c === 45 || c === 39 // . _ % + - '
  );
}

function isDomainChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 46 || c === 45;
}

function isLetter(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90);
}

export function detectEmails(text: string, out: RawSpan[]): void {
  let at = text.indexOf('@');
  while (at !== -1) {
    let start = at;
    const minStart = Math.max(0, at - MAX_LOCAL);
    while (start > minStart && isLocalChar(text.charCodeAt(start - 1))) start--;
    // A local part never starts with a dot ("...bob@x" → "bob@x").
    while (start < at && text.charCodeAt(start) === 46) start++;
    let end = at + 1;
    const maxEnd = Math.min(text.length, at + 1 + MAX_DOMAIN);
    while (end < maxEnd && isDomainChar(text.charCodeAt(end))) end++;
    // Sentence punctuation after the address is not part of it.
    while (end > at + 1 && (text.charCodeAt(end - 1) === 46 || text.charCodeAt(end - 1) === 45)) end--;
    if (start < at && validDomain(text, at + 1, end)) {
      out.push({ start, end, type: 'EMAIL', value: text.slice(start, end) });
    }
    at = text.indexOf('@', Math.max(end, at + 1));
  }
}

/** The domain has a dot and ends in a top-level label of two or more letters. */
function validDomain(text: string, from: number, to: number): boolean {
  const lastDot = text.lastIndexOf('.', to - 1);
  if (lastDot <= from || to - lastDot - 1 < 2) return false;
  for (let i = lastDot + 1; i < to; i++) if (!isLetter(text.charCodeAt(i))) return false;
  return text.charCodeAt(from) !== 46;
}
