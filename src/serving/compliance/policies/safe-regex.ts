/**
 * Policy authors' regular expressions, run by re2js, a linear-time engine (RE2's automata, ported
 * to JavaScript): matching costs O(pattern × text) whatever the pattern, so no time budget is
 * needed and one policy cannot block the worker. Two checks at load:
 * - RE2 refuses what it cannot run in linear time (backreferences, lookahead); lookbehinds are
 *   allowed (re2js's linear-time `LOOKBEHINDS` mode);
 * - patterns with a nested unbounded quantifier (`(a+)+`, `(\w*)*`, `(x+y?)*`: the classic
 *   catastrophic-backtracking shape) are still refused, so a policy file stays safe when it is
 *   tried in a backtracking engine (an editor, a grep, the browser) too.
 * The native `re2` binding would be faster but needs a compiled addon; re2js installs everywhere.
 */
import { RE2JS } from 're2js';

export class UnsafePatternError extends Error {
  override name = 'UnsafePatternError';
}

interface GroupState {
  unboundedInside: boolean;
}

/** Length of an unbounded quantifier starting at `i` (`*`, `+`, `{n,}`), 0 if none; bounded ones return -length. */
function quantifierAt(pattern: string, i: number): number {
  const ch = pattern[i];
  if (ch === '*' || ch === '+') return 1;
  if (ch === '{') {
    const m = /^\{(\d+)(,(\d*))?\}/.exec(pattern.slice(i));
    if (!m) return 0;
    const max = m[2] === undefined ? Number(m[1]) : m[3] === '' ? Infinity : Number(m[3]);
    // A large bounded repeat backtracks like an unbounded one.
    return max > 100 ? m[0].length : -m[0].length;
  }
  return 0;
}

/** Throws UnsafePatternError naming the problem; the pattern must also compile. */
export function assertSafePattern(pattern: string, flags: string): void {
  try {
    new RegExp(pattern, flags);
  } catch (error) {
    throw new UnsafePatternError(`does not compile: ${error instanceof Error ? error.message : String(error)}`);
  }
  const stack: GroupState[] = [{ unboundedInside: false }];
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === '\\') {
      if (/[1-9k]/.test(pattern[i + 1] ?? '')) throw new UnsafePatternError('backreferences are not allowed (they make matching exponential)');
      i++;
      continue;
    }
    if (ch === '[') {
      // Skip the class; quantifier characters inside it are literals.
      for (i++; i < pattern.length && pattern[i] !== ']'; i++) if (pattern[i] === '\\') i++;
      continue;
    }
    if (ch === '(') {
      stack.push({ unboundedInside: false });
      continue;
    }
    const top = stack[stack.length - 1];
    if (!top) continue;
    if (ch === ')') {
      const closed = stack.pop();
      const parent = stack[stack.length - 1];
      if (!closed || !parent) throw new UnsafePatternError('unbalanced parentheses');
      const q = quantifierAt(pattern, i + 1);
      if (q > 0 && closed.unboundedInside) throw new UnsafePatternError(`nested quantifier at position ${i + 1}: a repeated group that itself repeats (e.g. (a+)+) can take exponential time`);
      if (closed.unboundedInside || q > 0) parent.unboundedInside = true;
      if (q !== 0) i += Math.abs(q);
      continue;
    }
    const q = quantifierAt(pattern, i);
    if (q > 0) top.unboundedInside = true;
    if (q !== 0) i += Math.abs(q) - 1;
  }
}

const FLAGS: Record<string, number> = { i: RE2JS.CASE_INSENSITIVE, m: RE2JS.MULTILINE, s: RE2JS.DOTALL, u: 0 };

/** The pattern compiled by re2js; throws UnsafePatternError for what RE2 cannot run in linear time. */
function compileLinear(pattern: string, flags: string): RE2JS {
  let bits = RE2JS.LOOKBEHINDS;
  for (const flag of flags) bits |= FLAGS[flag] ?? 0;
  try {
    return RE2JS.compile(pattern, bits);
  } catch (error) {
    throw new UnsafePatternError(`not supported by the linear-time engine (RE2: no backreferences or lookahead): ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** A compiled, checked pattern; `match` returns up to `limit` spans (UTF-16 offsets, as String#slice takes). */
export class SafeRegex {
  private readonly re: RE2JS;

  constructor(pattern: string, flags: string) {
    assertSafePattern(pattern, flags);
    this.re = compileLinear(pattern, flags);
  }

  match(text: string, limit: number): Array<{ start: number; end: number }> {
    const spans: Array<{ start: number; end: number }> = [];
    const matcher = this.re.matcher(text);
    while (spans.length < limit && matcher.find()) spans.push({ start: matcher.start(), end: matcher.end() });
    return spans;
  }
}
