/**
 * Customer, order, invoice and contract numbers by the configured patterns (config.ts). A pattern
 * with a named group `id` replaces only that group, so "Bestellnummer 4711-22" keeps its keyword.
 */
import type { CompiledConfig } from './config.ts';
import type { RawSpan } from './types.ts';

export function detectIds(text: string, out: RawSpan[], cc: CompiledConfig): void {
  for (const { regex, hasIdGroup } of cc.idPatterns) {
    regex.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = regex.exec(text)) !== null) {
      if (m[0].length === 0) {
        regex.lastIndex++; // a pattern that can match empty must not loop forever
        continue;
      }
      const range = hasIdGroup ? m.indices?.groups?.id : undefined;
      if (hasIdGroup && !range) continue; // the optional id group did not take part
      const start = range ? range[0] : m.index;
      const end = range ? range[1] : m.index + m[0].length;
      const value = text.slice(start, end);
      out.push({ start, end, type: 'ID', value, key: `id:${value.replace(/^#/, '').toLowerCase()}` });
    }
  }
}
