/**
 * Precision / recall / F1 of the PII scrubber per entity type on the labelled data in
 * ../shared/datasets (npm run eval:pii, or `npx tsx scripts/eval-pii.ts [--bench]`).
 *
 * Matching rule: a predicted span and a gold span of the same type match when their overlap is at
 * least 50% of the longer of the two (so "Jones" matches gold "Mr. Jones", but "Max" does not match
 * "Max Herbst"); matching is one-to-one, greedy by overlap. "exact" counts identical offsets.
 *
 * Each file is split in two, stably by a hash of its group: presidio by template_id (templates
 * repeat), GermEval by sentence id, Bitext by row. The scrubber was tuned on the "dev" part only;
 * "held-out" numbers are reported, never tuned on.
 *
 * Person names per language (`--names`, also printed by default after the table above): every
 * TEST split of ../shared/datasets/ner, the held-out halves above, and the support-style set of
 * scripts/support-names-eval.ts, with the aggregates defined in scripts/eval-pii-ner.ts.
 * `--names --dev` prints the same for the DEV splits and "dev" halves, for choosing between
 * variants without looking at test numbers.
 *
 * Notes from tuning (dev part): adding the 88,799 US Census surnames raised name recall by
 * 3-8 points but cut precision by 20-30 (German nouns and English words that are also surnames),
 * so data/census-last-names.txt is empty. Presidio's STREET_ADDRESS spans are fragments of
 * multi-line, many-country addresses ("Apt. 595", "28245"); ADDRESS recall there is low and not a goal.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { z } from 'zod';
import { Scrubber } from '../src/datasets/pii/index.ts';
import type { PiiType, Span } from '../src/datasets/pii/index.ts';
import { NER_DEV_CORPORA, NER_TEST_CORPORA, readConll } from './eval-pii-ner.ts';
import { supportNamesEval } from './support-names-eval.ts';

const DATA = new URL('../../shared/datasets/', import.meta.url);

interface Gold {
  start: number;
  end: number;
  type: PiiType;
}
interface Example {
  text: string;
  group: string;
  gold: Gold[];
  /** Gold spans of labels we do not score; predictions inside them are neither right nor wrong. */
  neutral: { start: number; end: number; types: PiiType[] }[];
}
interface Dataset {
  name: string;
  /** Types scored on this dataset (others have no gold labels here). */
  types: PiiType[];
  examples: Example[];
}

const PRESIDIO_MAP: Record<string, PiiType> = {
  PERSON: 'NAME', EMAIL_ADDRESS: 'EMAIL', PHONE_NUMBER: 'PHONE', IBAN_CODE: 'IBAN', CREDIT_CARD: 'CARD',
  STREET_ADDRESS: 'ADDRESS', IP_ADDRESS: 'IP', US_SSN: 'ID', US_DRIVER_LICENSE: 'ID',
};
// City, country and ZIP next to a street are part of an address for us, but presidio labels them apart.
const PRESIDIO_NEUTRAL: Record<string, PiiType[]> = { ZIP_CODE: ['ADDRESS', 'PHONE', 'ID'], GPE: ['ADDRESS', 'NAME'], DATE_TIME: ['PHONE', 'ID'] };

const SpanSchema = z.object({ start: z.number().int(), end: z.number().int(), label: z.string() });
const PresidioRow = z.object({ text: z.string(), template_id: z.number(), spans: z.array(SpanSchema) });
const GermEvalRow = z.object({ id: z.string(), text: z.string(), spans: z.array(SpanSchema) });
const BitextRow = z.object({ instruction: z.string(), entity_type: z.string(), start_offset: z.string(), end_offset: z.string() });

function jsonl(path: string): unknown[] {
  return readFileSync(new URL(path, DATA), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as unknown);
}

function loadPresidio(): Dataset {
  const examples = jsonl('pii/presidio_synth_dataset_v2.jsonl').map((raw) => {
    const row = PresidioRow.parse(raw);
    const gold: Gold[] = [];
    const neutral: Example['neutral'] = [];
    for (const s of row.spans) {
      const type = PRESIDIO_MAP[s.label];
      if (type) gold.push({ start: s.start, end: s.end, type });
      const n = PRESIDIO_NEUTRAL[s.label];
      if (n) neutral.push({ start: s.start, end: s.end, types: n });
    }
    return { text: row.text, group: `t${row.template_id}`, gold, neutral };
  });
  return { name: 'presidio (EN)', types: ['NAME', 'EMAIL', 'PHONE', 'IBAN', 'CARD', 'ADDRESS', 'IP', 'ID'], examples };
}

function loadGermEval(): Dataset {
  const examples = jsonl('pii/germeval2014_ner_dev.jsonl').map((raw) => {
    const row = GermEvalRow.parse(raw);
    const gold = row.spans.filter((s) => s.label === 'PER').map((s) => ({ start: s.start, end: s.end, type: 'NAME' as const }));
    return { text: row.text, group: row.id, gold, neutral: [] };
  });
  return { name: 'GermEval (DE)', types: ['NAME'], examples };
}

function loadBitext(): Dataset {
  const rows = parse(readFileSync(new URL('support_intents/bitext_customer_support.csv', DATA)), { columns: true }) as unknown[];
  const map: Record<string, PiiType> = { order_id: 'ID', invoice_id: 'ID', person_name: 'NAME' };
  const examples = rows.map((raw, i) => {
    const row = BitextRow.parse(raw);
    const type = map[row.entity_type];
    const gold = type ? [{ start: Number(row.start_offset), end: Number(row.end_offset), type }] : [];
    return { text: row.instruction, group: `r${i}`, gold, neutral: [] };
  });
  return { name: 'Bitext (EN)', types: ['NAME', 'ID'], examples };
}

function part(group: string): 'dev' | 'held-out' {
  const byte = createHash('sha1').update(group).digest()[0] ?? 0;
  return byte % 2 === 0 ? 'dev' : 'held-out';
}

interface Tally { gold: number; pred: number; tp: number; exact: number }

function score(ds: Dataset, which: 'dev' | 'held-out' | 'all', scrubber: Scrubber): Map<PiiType, Tally> {
  const tallies = new Map<PiiType, Tally>(ds.types.map((t) => [t, { gold: 0, pred: 0, tp: 0, exact: 0 }]));
  for (const ex of ds.examples) {
    if (which !== 'all' && part(ex.group) !== which) continue;
    const pred = scrubber.detect(ex.text);
    for (const type of ds.types) {
      const t = tallies.get(type) as Tally;
      const g = ex.gold.filter((s) => s.type === type);
      const p = pred.filter((s) => s.type === type && !isNeutral(s, ex));
      t.gold += g.length;
      const used = new Set<number>();
      for (const ps of p) {
        let best = -1;
        let bestOverlap = 0;
        g.forEach((gs, k) => {
          const overlap = Math.min(ps.end, gs.end) - Math.max(ps.start, gs.start);
          if (!used.has(k) && overlap > bestOverlap && overlap >= 0.5 * Math.max(ps.end - ps.start, gs.end - gs.start)) {
            best = k;
            bestOverlap = overlap;
          }
        });
        const gs = g[best];
        if (gs) {
          used.add(best);
          t.tp++;
          if (gs.start === ps.start && gs.end === ps.end) t.exact++;
        }
        // A prediction that overlaps an already-matched gold span of its type (a name split in two) is not counted twice.
        if (!gs && g.some((x) => Math.min(ps.end, x.end) > Math.max(ps.start, x.start))) continue;
        t.pred++;
      }
    }
  }
  return tallies;
}

function isNeutral(s: Span, ex: Example): boolean {
  if (ex.gold.some((g) => g.type === s.type && Math.min(s.end, g.end) > Math.max(s.start, g.start))) return false;
  return ex.neutral.some((n) => n.types.includes(s.type) && s.start >= n.start - 1 && s.end <= n.end + 1);
}

const f = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : '  -  ');

function printTable(rows: string[][]): void {
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length))) ?? [];
  for (const [i, r] of rows.entries()) {
    console.log(`| ${r.map((cell, c) => cell.padEnd(widths[c] ?? 0)).join(' | ')} |`);
    if (i === 0) console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  }
}

function rate(t: Tally): string[] {
  const p = t.tp / t.pred;
  const r = t.tp / t.gold;
  return [String(t.gold), String(t.pred), String(t.tp), f(p), f(r), f((2 * p * r) / (p + r))];
}

function evaluate(): void {
  const scrubber = new Scrubber();
  const rows = [['dataset', 'part', 'type', 'gold', 'pred', 'TP', 'precision', 'recall', 'F1', 'exact F1']];
  for (const ds of [loadPresidio(), loadGermEval(), loadBitext()]) {
    for (const which of ['dev', 'held-out'] as const) {
      for (const [type, t] of score(ds, which, scrubber)) {
        const p = t.tp / t.pred;
        const r = t.tp / t.gold;
        const ep = t.exact / t.pred;
        const er = t.exact / t.gold;
        rows.push([ds.name, which, type, String(t.gold), String(t.pred), String(t.tp), f(p), f(r), f((2 * p * r) / (p + r)), f((2 * ep * er) / (ep + er))]);
      }
    }
  }
  printTable(rows);
}

/** A dataset whose every example is scored (a test split, scored with part 'all'). */
function allHeldOut(name: string, examples: { text: string; gold: { start: number; end: number }[] }[]): Dataset {
  return { name, types: ['NAME'], examples: examples.map((e) => ({ text: e.text, group: '', gold: e.gold.map((g) => ({ ...g, type: 'NAME' as const })), neutral: [] })) };
}

/**
 * Person names per language: one row per set, then the "all" and "modern" micro-averages.
 * `dev` scores the DEV splits and the "dev" halves instead (for choosing between variants; the
 * support-style set has no dev part and is left out).
 */
function evaluateNames(split: 'test' | 'dev'): void {
  const scrubber = new Scrubber();
  const sum = (ts: Tally[]): Tally => ts.reduce((a, t) => ({ gold: a.gold + t.gold, pred: a.pred + t.pred, tp: a.tp + t.tp, exact: a.exact + t.exact }), { gold: 0, pred: 0, tp: 0, exact: 0 });
  const nameTally = (ds: Dataset, which: 'dev' | 'held-out' | 'all' = 'all') => score(ds, which, scrubber).get('NAME') as Tally;
  const half = split === 'test' ? 'held-out' : 'dev';
  for (const lang of ['de', 'en'] as const) {
    const sets: { name: string; historical: boolean; tally: Tally }[] = [];
    for (const c of (split === 'test' ? NER_TEST_CORPORA : NER_DEV_CORPORA).filter((x) => x.lang === lang)) {
      sets.push({ name: `${c.folder} ${split}`, historical: !!c.historical, tally: nameTally(allHeldOut(c.folder, readConll(c.folder, split))) });
    }
    const pii = lang === 'de' ? [loadGermEval()] : [loadPresidio(), loadBitext()];
    for (const ds of pii) sets.push({ name: `${ds.name} ${half}`, historical: false, tally: nameTally(ds, half) });
    const support = split === 'test' ? supportNamesEval(lang) : [];
    if (split === 'test') sets.push({ name: 'support-style', historical: false, tally: nameTally(allHeldOut('support', support)) });
    const rows = [['set', 'gold', 'pred', 'TP', 'precision', 'recall', 'F1']];
    for (const s of sets) rows.push([s.name, ...rate(s.tally)]);
    rows.push([`${lang.toUpperCase()} all (micro)`, ...rate(sum(sets.map((s) => s.tally)))]);
    rows.push([`${lang.toUpperCase()} modern (micro)`, ...rate(sum(sets.filter((s) => !s.historical).map((s) => s.tally)))]);
    if (split === 'test') {
      // Recall on names in no name list; precision is not defined for this subset.
      const unlisted = support.map((e) => ({ text: e.text, gold: e.unlisted }));
      rows.push(['support-style, unlisted names only (recall)', String(unlisted.reduce((n, e) => n + e.gold.length, 0)), '', '', '', f(recallOnly(scrubber, unlisted)), '']);
    }
    console.log(`\nPerson names, ${lang === 'de' ? 'German' : 'English'}, ${split} (NAME; overlap >= 50% of the longer span)`);
    printTable(rows);
  }
}

/** Share of gold spans matched by some NAME prediction (50% rule), ignoring other predictions. */
function recallOnly(scrubber: Scrubber, examples: { text: string; gold: { start: number; end: number }[] }[]): number {
  let gold = 0;
  let hit = 0;
  for (const ex of examples) {
    if (ex.gold.length === 0) continue;
    const pred = scrubber.detect(ex.text).filter((s) => s.type === 'NAME');
    for (const g of ex.gold) {
      gold++;
      if (pred.some((p) => Math.min(p.end, g.end) - Math.max(p.start, g.start) >= 0.5 * Math.max(p.end - p.start, g.end - g.start))) hit++;
    }
  }
  return hit / gold;
}

/** Short support messages per second on one core, scrubbed in sessions of 10 messages. */
function bench(): void {
  const clinc = jsonl('support_intents/clinc150_train_val.jsonl').map((r) => z.object({ text: z.string() }).parse(r).text);
  const presidio = jsonl('pii/presidio_synth_dataset_v2.jsonl').map((r) => PresidioRow.parse(r).text);
  const german = jsonl('pii/germeval2014_ner_dev.jsonl').map((r) => GermEvalRow.parse(r).text);
  const messages = [...clinc.slice(0, 6000), ...presidio, ...german];
  const scrubber = new Scrubber();
  const knownPeople = [{ name: 'Jürgen Müller', email: 'j.mueller@example.de' }];
  const run = () => {
    let session = scrubber.session();
    for (let i = 0; i < messages.length; i++) {
      if (i % 10 === 0) session = scrubber.session();
      session.scrub(messages[i] as string, { knownPeople });
    }
  };
  run(); // warm-up: JIT and the lazily loaded name lists
  const rounds = 3;
  const t0 = process.hrtime.bigint();
  for (let r = 0; r < rounds; r++) run();
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const chars = messages.reduce((n, m) => n + m.length, 0) / messages.length;
  console.log(`throughput: ${Math.round((messages.length * rounds) / seconds)} messages/s on one core (${messages.length} messages, mean ${Math.round(chars)} chars, ${rounds} rounds)`);
}


if (process.argv.includes('--bench')) bench();
else if (process.argv.includes('--names')) evaluateNames(process.argv.includes('--dev') ? 'dev' : 'test');
else {
  evaluate();
  evaluateNames('test');
}
