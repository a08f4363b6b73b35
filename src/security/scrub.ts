/**
 * Secrets out of text we did not write ourselves (a worker's stderr, a library's message) and out
 * of log objects at any depth. Two nets: keys whose name says "secret" (any case, any depth), and
 * values that look like a credential whatever key holds them (bearer/basic headers, our API tokens,
 * webhook secrets, OpenAI, Slack, Hugging Face and GitHub tokens, passwords in URLs).
 */

export const CENSOR = '[redacted]';

/** authorization, cookie, password, token, apiToken, clientSecret, x-api-key, privateKey, databaseUrl, … */
const SECRET_KEY = /^(authorization|proxy-authorization|cookie|set-cookie|x-api-key|api[-_]?key|credentials?|private[-_]?key|database[-_]?url|.*(password|passwd|secret|token|signature))$/i;

const SECRET_VALUES: Array<[RegExp, string]> = [
  [/\b(Bearer|Basic|token)\s+[A-Za-z0-9._~+/=-]{8,}/gi, `$1 ${CENSOR}`],
  [/\b(tl|whsec|sk|sk-proj|xox[abposr]|xapp|hf|ghp|gho|github_pat)[_-][A-Za-z0-9_-]{8,}/g, CENSOR],
  [/(\/\/[^/\s:@]+):[^@\s/]+@/g, `$1:${CENSOR}@`],
];

/** `text` with anything credential-shaped replaced, and every value in `known` too. */
export function scrubText(text: string, known: readonly string[] = []): string {
  let out = text;
  for (const secret of known) if (secret.length >= 6) out = out.split(secret).join(CENSOR);
  for (const [pattern, replacement] of SECRET_VALUES) out = out.replace(pattern, replacement);
  return out;
}

const MAX_DEPTH = 8;

/**
 * A copy of `value` with secret-named keys censored at any depth (pino's redact paths name fixed
 * depths only). Plain objects and arrays are walked; anything else (Errors, Dates, Buffers) is left
 * to its serializer. Returns `value` itself when nothing changed.
 */
export function redactDeep<T>(value: T, depth = 0): T {
  if (depth > MAX_DEPTH || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    const items = value.map((item) => redactDeep(item, depth + 1));
    return (items.some((item, index) => item !== value[index]) ? items : value) as T;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  let changed = false;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    const next = SECRET_KEY.test(key) && item !== null && item !== undefined && typeof item !== 'number' && typeof item !== 'boolean' ? CENSOR : redactDeep(item, depth + 1);
    if (next !== item) changed = true;
    out[key] = next;
  }
  return (changed ? out : value) as T;
}
