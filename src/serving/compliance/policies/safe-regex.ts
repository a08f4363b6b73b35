/**
 * Policy authors' regular expressions, made safe to run on hostile input. Two layers:
 * - at load, patterns with a nested unbounded quantifier (`(a+)+`, `(\w*)*`, `(x+y?)*`: the
 *   classic catastrophic-backtracking shape) or a backreference are rejected with a message;
 * - at scan time the regex runs inside a vm context with a time budget, so a pattern that slips
 *   past the check (e.g. `(a|aa)*b`) stops after `budgetMs` instead of blocking the worker.
 * Node has no linear-time engine by default (V8's is behind --enable-experimental-regexp-engine).
 */
import vm from 'node:vm';

export class UnsafePatternError extends Error {
  override name = 'UnsafePatternError';
}

export class RegexBudgetExceeded extends Error {
  override name = 'RegexBudgetExceeded';
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

const RUN = new vm.Script(
  `(() => { const out = []; re.lastIndex = 0; let m;
    while ((m = re.exec(input)) !== null && out.length < limit * 2) {
      out.push(m.index, m.index + m[0].length);
      if (m[0].length === 0) re.lastIndex++;
    }
    input = ''; return out; })()`,
);

/** A compiled, checked pattern in its own vm context; `match` runs it within a time budget. */
export class SafeRegex {
  private readonly context: vm.Context;

  constructor(pattern: string, flags: string, private readonly budgetMs: number) {
    assertSafePattern(pattern, flags);
    const context = vm.createContext({ input: '', limit: 0 });
    // Compiled once, inside the context the budgeted runs use.
    context.pattern = pattern;
    context.flags = flags.includes('g') ? flags : `${flags}g`;
    vm.runInContext('globalThis.re = new RegExp(pattern, flags);', context);
    this.context = context;
  }

  match(text: string, limit: number): Array<{ start: number; end: number }> {
    this.context.input = text;
    this.context.limit = limit;
    let flat: unknown;
    try {
      flat = RUN.runInContext(this.context, { timeout: this.budgetMs });
    } catch (error) {
      this.context.input = '';
      // The timeout error comes from another realm: `instanceof Error` is false, its code is not.
      if (typeof error === 'object' && error !== null && 'code' in error && error.code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') throw new RegexBudgetExceeded(`took longer than ${this.budgetMs} ms`);
      throw error;
    }
    const numbers = Array.isArray(flat) ? flat.filter((n): n is number => typeof n === 'number') : [];
    const spans: Array<{ start: number; end: number }> = [];
    for (let i = 0; i + 1 < numbers.length; i += 2) spans.push({ start: numbers[i] ?? 0, end: numbers[i + 1] ?? 0 });
    return spans;
  }
}
