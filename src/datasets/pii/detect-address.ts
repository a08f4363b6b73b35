/**
 * Postal addresses, German and English (plus the common street words of neighbouring languages):
 * street + house number, optionally followed by PLZ/ZIP and city; apartment/suite lines; and a
 * German "PLZ City" line. Every pattern starts only at a word start and repeats bounded groups,
 * so it stays linear; a street needs a street word ("…straße", "Street", "Rue …") to count.
 */
import type { RawSpan } from './types.ts';

const CAP = '[\\p{Lu}][\\p{L}\\p{M}]*';
const HOUSE = '\\d{1,4}\\s?[a-zA-Z]?(?:\\s?[-/]\\s?\\d{1,4}[a-z]?)?(?![\\p{L}\\d])';
// "10115 Berlin", "60311 Frankfurt am Main", "D-80331 München".
const PLZ_CITY = `(?:D-)?\\d{5}\\s${CAP}(?:[-\\s](?:am|an der|im|in|ob der|bei)?\\s?${CAP}){0,2}`;

const DE_SUFFIX = 'straße|strasse|str\\.|weg|allee|platz|gasse|ring|damm|ufer|chaussee|steig|pfad|stieg|markt|graben|wall|zeile|promenade|kamp|twiete';
const DE_WORD = 'Straße|Strasse|Str\\.|Weg|Allee|Platz|Gasse|Ring|Damm|Ufer|Chaussee|Markt|Steig|Pfad|Promenade';
const DE_PREP = '(?:Am|An der|An den|Auf der|Auf dem|Im|In der|In den|Unter den|Zum|Zur|Hinter der|Hinter dem|Vor dem|Alte|Alter|Neue|Neuer)';
// Nordic, Dutch, Finnish, Hungarian compounds: "Koskikatu 25", "Søndergade 52", "Magasinsgatan 7".
const EU_SUFFIX = 'katu|kuja|tie|vej|gade|gatan|vägen|gata|straat|laan|gracht|steeg|utca|útja';
const EN_WORD =
  'Street|St|Avenue|Ave|Road|Rd|Lane|Ln|Drive|Dr|Boulevard|Blvd|Court|Ct|Way|Place|Pl|Square|Sq|Terrace|Parkway|Pkwy|' +
  'Circle|Cir|Highway|Hwy|Close|Crescent|Gardens|Row|Walk|Trail|Grove|Mews|Alley|Plaza|Loop|Pike|Path|Point|Gateway|Fort|Union|Pass|Parks|Streets|Squares|Crossing|Hill|Hills|Park';
const UNIT = '(?:Apt|Apartment|Suite|Ste|Unit|Flat|Room|Wohnung|Whg)\\.?\\s?#?\\d{1,5}[A-Za-z]?';
const US_TAIL = `(?:,?\\s${UNIT})?(?:,?\\s${CAP}(?:\\s${CAP})?,\\s[A-Z]{2}\\s\\d{5}(?:-\\d{4})?)?`;
const UK_POSTCODE = '[A-Z]{1,2}\\d[A-Z\\d]?\\s?\\d[A-Z]{2}';

// Patterns that start with a house number test a digit first and look behind it after: V8 then
// skips to digits instead of running the lookbehind at every position.
const PATTERNS: RegExp[] = [
  // German: "Hauptstraße 5", "Neuendorfer Straße 90c", "Karl-Marx-Allee 3a, 10178 Berlin", "Am Markt 1".
  new RegExp(
    `(?<![\\p{L}\\d])(?:(?:${CAP}[ -]){0,3}${CAP}(?:${DE_SUFFIX})|(?:${CAP}[ -]){1,3}(?:${DE_WORD})|${DE_PREP}\\s${CAP})` +
      `\\s?${HOUSE}(?:,?\\s${PLZ_CITY})?`,
    'gu',
  ),
  new RegExp(`(?<![\\p{L}\\d])(?:${CAP}[ -]){0,2}${CAP}(?:${EU_SUFFIX})\\s${HOUSE}`, 'gu'),
  // Romance and Slavic street words come first: "Rua do Arenque 1634", "Via Franscini 71", "ul. Długa 5".
  new RegExp(
    `(?<![\\p{L}\\d])(?:Rua|Via|Viale|Piazza|Rue|Calle|Avenida|Av\\.|Chemin|Praça|Travessa|Carrer|ul\\.|Ulica)\\s(?:[\\p{L}\\p{M}'.-]+\\s){1,4}${HOUSE}`,
    'gu',
  ),
  // English: "1668 Glyn St", "370 3911 Fourth Avenue Suite 697", "12 Main Street, Springfield, IL 62704".
  new RegExp(
    `\\d(?<![\\p{L}\\d]\\d)\\d{0,4}[A-Za-z]?(?:\\s\\d{1,5})?\\s(?:${CAP}\\s){0,4}(?:${EN_WORD})\\b\\.?${US_TAIL}(?:(?:,?\\s${CAP})?,?\\s${UK_POSTCODE}\\b)?`,
    'gu',
  ),
  // Street names written in lower case ("3747 3911 fourth avenue"): the street word alone decides.
  new RegExp(`\\d(?<![\\p{L}\\d]\\d)\\d{0,4}(?:\\s\\d{1,5})?\\s(?:[\\p{Ll}]+\\s){0,3}(?:street|avenue|road|lane|drive|boulevard|court|place|square|terrace|parkway|highway|crescent)\\b`, 'gu'),
  // "636 1812 Rue De La Gare", "48334 36 rue de pologne": house number first, then a Romance street word.
  new RegExp(`\\d(?<![\\p{L}\\d]\\d)\\d{0,4}(?:\\s\\d{1,5})?\\s(?:Rue|rue|Via|via|Calle|calle|Avenida|avenida|Rua|rua)(?:\\s[\\p{L}\\p{M}'-]+){1,4}`, 'gu'),
  // An apartment/suite line on its own.
  new RegExp(`(?<![\\p{L}\\d])${UNIT}(?![\\p{L}\\d])`, 'gu'),
];

// "PLZ City" alone counts only where an address line would start, to spare "10000 Kunden".
const PLZ_LINE = new RegExp(`(?:^|[\\n,]\\s*|\\bin\\s)(${PLZ_CITY})`, 'gmu');

export function detectAddresses(text: string, out: RawSpan[]): void {
  for (const re of PATTERNS) {
    re.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = re.exec(text)) !== null) {
      out.push({ start: m.index, end: m.index + m[0].length, type: 'ADDRESS', value: m[0] });
    }
  }
  PLZ_LINE.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = PLZ_LINE.exec(text)) !== null) {
    const value = m[1] as string;
    const start = m.index + m[0].length - value.length;
    out.push({ start, end: start + value.length, type: 'ADDRESS', value });
  }
}
