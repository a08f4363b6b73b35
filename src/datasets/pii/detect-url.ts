/**
 * URLs. A company's help-centre link is no personal data, but "…/users/anna.schmidt",
 * "…?email=…" or "…/orders/8812231" is. In 'personal' mode only such URLs are replaced.
 */
import type { RawSpan } from './types.ts';

const URL_RE = /\b(?:https?:\/\/|www\.)[^\s<>"'`\]\[]+/gi;
const TRAILING = /[.,;:!?)]+$/;
const PERSONAL = new RegExp(
  [
    '@', // an email or a user handle in the path
    '\\d{4,}', // ids
    '[0-9a-f]{16,}', // tokens, hashes
    '[0-9a-f]{8}-[0-9a-f]{4}-', // uuids
    '[?&](?:token|key|user|uid|id|e?mail|name|session|sid|auth|code|ref|order|customer|kunde|phone|tel|sig|signature)=',
    '/(?:users?|profiles?|u|people|person|members?|accounts?|customers?|kunden|orders?|tickets?|invoices?|~)[/:]?[^/?#\\s]+',
  ].join('|'),
  'i',
);

export function detectUrls(text: string, out: RawSpan[], mode: 'off' | 'personal' | 'all'): void {
  if (mode === 'off' || (!text.includes('://') && !/www\./i.test(text))) return;
  URL_RE.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = URL_RE.exec(text)) !== null) {
    const value = m[0].replace(TRAILING, '');
    if (mode === 'personal' && !PERSONAL.test(pathOf(value))) continue;
    out.push({ start: m.index, end: m.index + value.length, type: 'URL', value, key: `url:${value}` });
  }
}

/** Everything after the host: the host itself is an organisation, not a person. */
function pathOf(url: string): string {
  const noScheme = url.replace(/^https?:\/\//i, '');
  const slash = noScheme.search(/[/?#]/);
  return slash === -1 ? '' : noScheme.slice(slash);
}
