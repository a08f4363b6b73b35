/**
 * A support-style evaluation set for person names (German and English): short ticket messages,
 * greetings, sign-offs, names next to emails, lower-cased text, and messages without any person
 * that are full of places, companies, products and words that are also names ("Will", "Koch").
 *
 * Kept apart from training on purpose:
 *   - the templates here are written for evaluation only; the trainer's support sentences
 *     (gpu-worker/tuneloop_worker/ner/synth.py) use other wording;
 *   - listed names come from the quarter of the name lists that the trainer never puts into a
 *     sentence (`isEvalName`, the same rule as `is_eval_name` in synth.py);
 *   - unlisted names (in no list, so no gazetteer helps) are person spans of the corpora's DEV
 *     splits, which the model never trains on.
 * Deterministic: the same seed gives the same set.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readConll, type NerGold } from './eval-pii-ner.ts';

export interface SupportExample {
  text: string;
  gold: NerGold[];
  /** Gold spans whose name is in no name list. */
  unlisted: NerGold[];
}

const LISTS = new URL('../src/datasets/pii/data/', import.meta.url);

/** A quarter of the listed names, by a hash of the lower-cased name, is reserved for evaluation. */
export function isEvalName(name: string): boolean {
  const digest = createHash('sha1').update(`tuneloop-ner-split:${name.toLowerCase()}`).digest();
  return (digest[0] ?? 0) % 4 === 0;
}

function readList(file: string): string[] {
  return readFileSync(new URL(file, LISTS), 'utf8')
    .split('\n')
    .filter((l) => !l.startsWith('#'))
    .flatMap((l) => l.split(/\s+/))
    .filter(Boolean);
}

/** mulberry32: a small seeded generator, so the set never changes between runs. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NAME_WORD = /^\p{Lu}[\p{Ll}'’-]+$/u;

/** Person names of the DEV splits that are in no list: [first..., last] word arrays. */
function unlistedNames(folders: string[], listed: ReadonlySet<string>): { full: string[][]; single: string[] } {
  const full: string[][] = [];
  const single: string[] = [];
  const seen = new Set<string>();
  for (const folder of folders) {
    for (const s of readConll(folder, 'dev')) {
      for (const g of s.gold) {
        const words = s.text.slice(g.start, g.end).split(' ');
        if (!words.every((w) => NAME_WORD.test(w) && w.length >= 3)) continue;
        const last = words[words.length - 1] as string;
        if (listed.has(last.toLowerCase()) || seen.has(words.join(' '))) continue;
        seen.add(words.join(' '));
        if (words.length === 2) full.push(words);
        else if (words.length === 1) single.push(last);
      }
    }
  }
  return { full, single };
}

// {P} a person (full name or first name), {F} a first name, {L} a surname after a title,
// {T} the title, {E} an email of the person, {C} a place, {O} a company, {X} a product.
const EN_TEMPLATES = [
  'hey {F}, can you check why my card got declined again?',
  'Hi {F},\n\nthanks for the quick reply. The parcel still has not arrived in {C}.\n\nCheers,\n{P}',
  'Please forward this to {P} in accounting, she handles refunds for {O}.',
  'My colleague {P} ({E}) will pick up the order on Friday.',
  'I spoke to {F} on the phone yesterday and he promised a callback.',
  'Could {T} {L} call me back at +44 20 7946 0018?',
  'Is {F} still working on ticket 48211? nobody answered since Monday',
  'Kind regards,\n{P}\nSenior Buyer, {O}',
  'ok thanks {F}!! that fixed it',
  '{P} <{E}> wrote:\n> I cannot log in since the update',
  'this is {F} from {O}, we ordered 40 licences last week',
  'Account holder: {P}\nShipping to: {C}',
  'cc {P} and {F} - they need access too',
  'Thanks {F} and {F} for sorting this out so fast.',
  'Dear {T} {L}, your replacement {X} ships tomorrow.',
  'Hello,\nI am writing on behalf of my mother, {P}, who cannot use email.',
  'Can you ask {F} to resend the invoice? the last one had the wrong VAT number',
  'Best,\n{F}',
  'You were helped today by {P}. How did we do?',
  'My name is {P} and my account is locked.',
];
const EN_NEGATIVE = [
  'The {X} I bought in {C} stopped charging after two days.',
  'Our {C} office will be closed on Monday for the holiday.',
  'Can I pay with Apple Pay or only with PayPal?',
  'Will the new price apply to my current plan?',
  'I need to grant access to my team before March.',
  'The rose gold version is out of stock again.',
  'Please mark this as urgent, the shop in {C} is waiting.',
  'I ordered from {O} twice and both parcels went to {C}.',
  'Does the {X} work with Windows 11 or only with macOS?',
  'hi, the tracking link says the parcel is in {C} since tuesday',
  'Thanks for your patience. Your refund has been issued.',
  'We moved from {C} to {C}, please update the billing address.',
];
const DE_TEMPLATES = [
  'hallo {F}, meine bestellung ist immer noch nicht da',
  'Hallo {T} {L},\n\nvielen Dank für die schnelle Antwort. Das Paket ist leider nicht in {C} angekommen.\n\nViele Grüße\n{P}',
  'Bitte leiten Sie das an {P} aus der Buchhaltung weiter.',
  'Mein Kollege {P} ({E}) holt die Ware am Freitag ab.',
  'Ich habe gestern mit {F} telefoniert, er wollte mich zurückrufen.',
  'Kann {T} {L} mich unter 030 12345678 zurückrufen?',
  'Hat {F} sich das Ticket 48211 schon angeschaut? seit Montag keine Antwort',
  'Mit freundlichen Grüßen\n{P}\nEinkauf, {O}',
  'ok danke {F}!! jetzt geht es',
  'Am 03.11. schrieb {P} <{E}>:\n> Ich komme seit dem Update nicht mehr rein',
  'hier ist {F} von {O}, wir hatten letzte Woche 40 Lizenzen bestellt',
  'Kontoinhaber: {P}\nLieferadresse: {C}',
  'cc {P} und {F}, die brauchen auch Zugang',
  'Danke {F} und {F} für die schnelle Hilfe!',
  'Sehr geehrte{R} {T} {L}, Ihr Ersatzgerät ({X}) wird morgen verschickt.',
  'Guten Tag,\nich schreibe für meine Mutter, {P}, die kein E-Mail hat.',
  'Können Sie {F} bitten, die Rechnung nochmal zu schicken? Die Steuernummer war falsch',
  'Gruß\n{F}',
  'Heute hat Ihnen {P} geholfen. Wie zufrieden waren Sie?',
  'Ich heiße {P} und mein Konto ist gesperrt.',
];
const DE_NEGATIVE = [
  'Das {X}, das ich in {C} gekauft habe, lädt nicht mehr.',
  'Unsere Filiale in {C} ist am Montag geschlossen.',
  'Kann ich mit Apple Pay oder nur per PayPal zahlen?',
  'Der Koch im Restaurant war sehr freundlich, aber die Lieferung kam zu spät.',
  'Ich bin seit 2015 Kunde und bisher sehr zufrieden.',
  'Bitte schicken Sie die Rechnung an die Firma {O}.',
  'Mein Vater hat den Vertrag damals abgeschlossen.',
  'Die Rose auf der Verpackung ist beschädigt, der Inhalt zum Glück nicht.',
  'Wird das Paket auch nach {C} geliefert?',
  'hallo, laut sendungsverfolgung liegt das paket seit dienstag in {C}',
  'Vielen Dank für Ihre Geduld. Die Erstattung ist veranlasst.',
  'Wir sind von {C} nach {C} umgezogen, bitte ändern Sie die Rechnungsadresse.',
];
const PLACES = ['Hamburg', 'Köln', 'Leipzig', 'Dresden', 'Graz', 'Zürich', 'Bremen', 'Paderborn', 'Manchester', 'Leeds', 'Denver', 'Austin', 'Dublin', 'Florence', 'Lyon', 'Kassel', 'Linz', 'Bielefeld', 'Brighton', 'Phoenix', 'Chester', 'Jackson', 'Lincoln', 'Essen', 'Mainz', 'Trier'];
const ORGS = ['Stadtwerke Bochum', 'Müller Logistik GmbH', 'Hoffmann Bau AG', 'Northwind Traders', 'Contoso Ltd', 'Baker & Sons', 'Fischer Reisen', 'Morgan Stanley', 'Wells Fargo', 'Sparkasse Ulm', 'Allianz', 'Johnson Controls', 'Ford', 'Siemens'];
const PRODUCTS = ['Galaxy S21', 'Kindle', 'Fire TV Stick', 'Thermomix', 'iPad Air', 'ThinkPad X1', 'Echo Dot', 'Surface Pro', 'Pixel 7', 'Vorwerk Kobold'];

export function supportNamesEval(lang: 'de' | 'en', seed = 20261207, count = 600): SupportExample[] {
  const next = rng(seed + (lang === 'de' ? 1 : 2));
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  const firstAll = [...readList('first-names.txt'), ...readList('census-first-names.txt')];
  const lastAll = readList('last-names.txt');
  const listed = new Set([...firstAll, ...lastAll].map((w) => w.toLowerCase()));
  const first = firstAll.filter(isEvalName).filter((w) => /^\p{Lu}/u.test(w));
  const last = lastAll.filter(isEvalName).filter((w) => /^\p{Lu}/u.test(w));
  const folders = lang === 'de' ? ['de_ler_legal', 'de_mobie', 'de_zefys_sbb'] : ['en_btc', 'en_wnut17', 'en_wikigold', 'en_uner_ewt'];
  const unlisted = unlistedNames(folders, listed);
  const templates = lang === 'de' ? DE_TEMPLATES : EN_TEMPLATES;
  const negatives = lang === 'de' ? DE_NEGATIVE : EN_NEGATIVE;
  const out: SupportExample[] = [];
  for (let n = 0; n < count; n++) {
    const template = next() < 0.25 ? pick(negatives) : pick(templates);
    // One person per message (the {P}, {F}, {L}, {E} of it refer to the same person), except
    // that a second {F} is another first name.
    const fromUnlisted = next() < 0.3;
    const u = fromUnlisted ? (next() < 0.7 || unlisted.single.length === 0 ? pick(unlisted.full) : ['', pick(unlisted.single)]) : undefined;
    const given = u ? (u[0] || pick(first)) : pick(first);
    const family = u ? (u[1] as string) : pick(last);
    const female = next() < 0.5;
    const title = lang === 'de' ? (female ? 'Frau' : 'Herr') : pick(female ? ['Ms.', 'Mrs.', 'Dr.'] : ['Mr.', 'Dr.']);
    const lowerNames = next() < 0.15;
    const lowerAll = next() < 0.2;
    const name = (s: string) => (lowerNames ? s.toLowerCase() : s);
    let text = '';
    const gold: NerGold[] = [];
    const unlistedGold: NerGold[] = [];
    let firstUsed = false;
    const put = (s: string, isName: boolean, isUnlisted = false) => {
      const start = text.length;
      text += s;
      if (isName) {
        gold.push({ start, end: text.length });
        if (isUnlisted) unlistedGold.push({ start, end: text.length });
      }
    };
    for (const part of template.split(/(\{[A-Z]\})/)) {
      switch (part) {
        case '{P}':
          if (next() < 0.75) put(`${name(given)} ${name(family)}`, true, !!u);
          else put(name(given), true, !!u && !!u[0]);
          break;
        case '{F}':
          put(name(firstUsed ? pick(first) : given), true, !firstUsed && !!u && !!u[0]);
          firstUsed = true;
          break;
        case '{L}':
          put(name(family), true, !!u);
          break;
        case '{T}':
          put(title, false);
          break;
        case '{R}':
          put(female ? '' : 'r', false);
          break;
        case '{E}':
          put(`${given}.${family}@example.${lang === 'de' ? 'de' : 'com'}`.toLowerCase(), false);
          break;
        case '{C}':
          put(pick(PLACES), false);
          break;
        case '{O}':
          put(pick(ORGS), false);
          break;
        case '{X}':
          put(pick(PRODUCTS), false);
          break;
        default:
          put(part, false);
      }
    }
    // Lower-casing keeps offsets only when it keeps the length (it does for these lists).
    const lowered = text.toLowerCase();
    out.push({ text: lowerAll && lowered.length === text.length ? lowered : text, gold, unlisted: unlistedGold });
  }
  return out;
}
