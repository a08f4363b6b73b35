/**
 * IPv4 and IPv6 addresses. Candidates come from bounded, linear regexes; IPv6 candidates are
 * confirmed with node's own parser so times like "12:30:45" are not taken for addresses.
 */
import { isIPv6 } from 'node:net';
import type { RawSpan } from './types.ts';

const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
// Not inside a longer dotted number such as a version "1.2.3.4.5" or a phone "03.93.92.16.85".
const IPV4 = new RegExp(`(?<![\\d.])${OCTET}(?:\\.${OCTET}){3}(?![\\d]|\\.\\d)`, 'g');
const IPV6 = /(?<![0-9A-Fa-f:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![0-9A-Fa-f:])/g;

export function detectIps(text: string, out: RawSpan[]): void {
  if (text.includes('.')) {
    IPV4.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = IPV4.exec(text)) !== null) {
      out.push({ start: m.index, end: m.index + m[0].length, type: 'IP', value: m[0], key: `ip:${m[0]}` });
    }
  }
  if (hasHexColonPair(text)) {
    IPV6.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = IPV6.exec(text)) !== null) {
      const value = m[0];
      // "::" alone or "a:b:" fragments are not worth a placeholder.
      if (value.replace(/:/g, '').length >= 4 && isIPv6(value)) {
        out.push({ start: m.index, end: m.index + value.length, type: 'IP', value, key: `ip:${value.toLowerCase()}` });
      }
    }
  }
}

function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}

/** Two colons at most four hex digits apart: what IPV6 needs at least. Most texts with a ":" ("Name: …") have none. */
function hasHexColonPair(text: string): boolean {
  for (let i = text.indexOf(':'); i >= 0; i = text.indexOf(':', i + 1)) {
    let j = i + 1;
    while (j < text.length && j <= i + 4 && isHex(text.charCodeAt(j))) j++;
    if (text.charCodeAt(j) === 58) return true;
  }
  return false;
}
