/**
 * Scrubber settings, parsed with zod once per session. Customer/order number formats differ per
 * company, so ID detection is a list of regexes the operator can extend; a pattern with a named
 * group `id` replaces only that group (the keyword "Bestellnummer" stays, the number goes).
 */
import { z } from 'zod';

const IdPatternSchema = z.object({
  name: z.string().min(1),
  /** JavaScript regex source. Keep it linear (no nested quantifiers): it runs on every message. */
  pattern: z.string().min(1),
  /** Extra flags; `g` and `d` are always added. */
  flags: z.string().regex(/^[imsuv]*$/).default('i'),
});
export type IdPattern = z.input<typeof IdPatternSchema>;

// Keywords after which a code with a digit is an identifier (EN + DE, incl. German compounds).
const ID_KEYWORDS = [
  'order', 'purchase', 'bill', 'invoice', 'receipt', 'account', 'customer', 'client', 'member', 'membership',
  'contract', 'ticket', 'case', 'reference', 'ref', 'tracking', 'booking', 'reservation', 'confirmation',
  'transaction', 'policy', 'license', 'licence', 'passport', 'ssn', 'social security', 'tax',
  'bestellung', 'bestell', 'auftrags?', 'rechnungs?', 'kunden', 'vertrags?', 'mitglieds?', 'buchungs?',
  'sendungs?', 'vorgangs?', 'referenz', 'kundenkonto', 'kontos?', 'versicherungs?', 'steuer', 'steuer-?id',
  'personalausweis', 'ausweis', 'führerschein', 'reisepass', 'lieferschein', 'paket',
].join('|');

export const DEFAULT_ID_PATTERNS: IdPattern[] = [
  {
    name: 'keyword-id',
    pattern:
      `\\b(?:${ID_KEYWORDS})(?:[\\s-]?(?:numbers?|no\\.?|nr\\.?|num|id|code|nummer|#))?[\\s:#.]{0,4}` +
      `(?<id>#?(?=[A-Z0-9-]{0,40}\\d)[A-Z0-9][A-Z0-9-]{3,40})\\b`,
    flags: 'iu',
  },
  { name: 'hash-number', pattern: '(?<![\\w#])(?<id>#\\d{4,20})\\b', flags: '' },
  { name: 'us-ssn', pattern: '\\b(?<id>\\d{3}-\\d{2}-\\d{4})\\b', flags: '' },
];

export const ScrubConfigSchema = z.object({
  detect: z
    .object({
      names: z.boolean().default(true),
      emails: z.boolean().default(true),
      phones: z.boolean().default(true),
      ibans: z.boolean().default(true),
      cards: z.boolean().default(true),
      addresses: z.boolean().default(true),
      ips: z.boolean().default(true),
      ids: z.boolean().default(true),
    })
    .prefault({}),
  /** 'personal': only URLs whose path or query looks personal (ids, emails, tokens); 'all'; 'off'. */
  urls: z.enum(['off', 'personal', 'all']).default('personal'),
  idPatterns: z.array(IdPatternSchema).prefault(DEFAULT_ID_PATTERNS),
  /** Added to idPatterns, so a company can add its formats and keep the defaults. */
  extraIdPatterns: z.array(IdPatternSchema).default([]),
  /** Regions whose national phone formats count as phones without a +country prefix. */
  phoneRegions: z.array(z.string().regex(/^[A-Z]{2}$/)).default(['DE', 'AT', 'CH', 'GB', 'US']),
  /** A digit string this long that is no phone/card/IBAN is still replaced as ID; null keeps it. */
  genericNumberMinDigits: z.number().int().min(5).max(40).nullable().default(9),
  /** Names always replaced (staff, frequent customers), in addition to context.knownPeople. */
  extraNames: z.array(z.string().min(2)).default([]),
  /** Capitalised words never taken for names (product or brand names that look like names). */
  allowWords: z.array(z.string().min(1)).default([]),
});
export type ScrubConfigInput = z.input<typeof ScrubConfigSchema>;
export type ScrubConfig = z.output<typeof ScrubConfigSchema>;

export interface CompiledIdPattern {
  name: string;
  regex: RegExp;
  hasIdGroup: boolean;
}

/** Everything a detector needs, built once: compiled regexes and lookup sets. */
export interface CompiledConfig {
  config: ScrubConfig;
  idPatterns: CompiledIdPattern[];
  allowWords: ReadonlySet<string>;
}

const compiled = new WeakSet<CompiledConfig>();
const byInput = new WeakMap<object, CompiledConfig>();
let defaults: CompiledConfig | undefined;

/**
 * A compiled config for any accepted form: already compiled (returned as is), a raw input object
 * (compiled once per object identity), or nothing (the defaults, compiled once).
 */
export function resolveConfig(input?: ScrubConfigInput | CompiledConfig): CompiledConfig {
  if (input === undefined) return (defaults ??= compileConfig());
  if (compiled.has(input as CompiledConfig)) return input as CompiledConfig;
  let cc = byInput.get(input);
  if (!cc) {
    cc = compileConfig(input as ScrubConfigInput);
    byInput.set(input, cc);
  }
  return cc;
}

export function compileConfig(input: ScrubConfigInput = {}): CompiledConfig {
  const config = ScrubConfigSchema.parse(input);
  const idPatterns = [...config.idPatterns, ...config.extraIdPatterns].map((p) => {
    const flags = [...new Set(`${p.flags ?? ''}gd`)].join('');
    let regex: RegExp;
    try {
      regex = new RegExp(p.pattern, flags);
    } catch (err) {
      // Bad config must stop startup rather than silently scrub less.
      throw new Error(`PII idPattern "${p.name}" is not a valid regex`, { cause: err });
    }
    return { name: p.name, regex, hasIdGroup: /\(\?<id>/.test(p.pattern) };
  });
  const cc: CompiledConfig = { config, idPatterns, allowWords: new Set(config.allowWords.map((w) => w.toLowerCase())) };
  compiled.add(cc);
  return cc;
}
