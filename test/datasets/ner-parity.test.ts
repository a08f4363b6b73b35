/**
 * The hub evaluates the name model in TypeScript; the trainer computed its features in Python.
 * model/parity.json (written by `train-ner` next to the model) holds texts with the trainer's
 * tokens, feature rows and labels: the hub must reproduce them exactly.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { crc32, featureRows, fmix32, LABELS } from '../../src/datasets/pii/ner/features.ts';
import { tokenizeForNer, tokenizeForNerRegex } from '../../src/datasets/pii/ner/tokenize.ts';
import { loadNerModel, NER_MODEL_FILE } from '../../src/datasets/pii/ner/model.ts';
import { NerTagger } from '../../src/datasets/pii/ner/tagger.ts';
import { viterbiFor } from '../../src/datasets/pii/ner/viterbi.ts';

const Fixture = z.object({
  labels: z.array(z.string()),
  cases: z.array(z.object({ text: z.string(), tokens: z.array(z.tuple([z.number(), z.number(), z.string()])), rows: z.array(z.array(z.number())).optional(), labels: z.array(z.string()) })),
});
const fixture = Fixture.parse(JSON.parse(readFileSync(new URL('../../src/datasets/pii/ner/model/parity.json', import.meta.url), 'utf8')));

describe('name model parity with the trainer', () => {
  const model = loadNerModel(NER_MODEL_FILE);
  const tagger = new NerTagger(model);

  it('hashes like zlib and MurmurHash3', () => {
    expect(crc32('')).toBe(0);
    expect(crc32('w:müller')).toBe(0x5850a420);
    expect(crc32('😀')).toBe(0x054db544);
    expect(fmix32(0)).toBe(0);
    expect(fmix32(1)).toBe(0x514e28b7);
  });

  it('has the same labels as the fixture', () => {
    expect(fixture.labels).toEqual([...LABELS]);
    expect(fixture.cases.length).toBeGreaterThan(20);
  });

  it('tokenizes, hashes and decodes every fixture text exactly as the trainer', () => {
    for (const c of fixture.cases) {
      const tokens = tokenizeForNer(c.text);
      expect(tokens.map((t) => [t.start, t.end, t.text]), c.text).toEqual(c.tokens);
      if (c.rows) expect(featureRows(tokens.map((t) => t.text), model.header.buckets), c.text).toEqual(c.rows);
      const tagged = tagger.tag(c.text);
      const got = Array.from({ length: tagged.n }, (_, i) => [tagged.start[i], tagged.end[i], tagger.token(i).lower]);
      expect(got, c.text).toEqual(c.tokens.map(([s, e, t]) => [s, e, t.toLowerCase()]));
      expect([...tagged.labels.subarray(0, tagged.n)].map((l) => LABELS[l]), c.text).toEqual(c.labels);
      // Again, now from the tagger's line cache.
      const again = tagger.tag(c.text);
      expect([...again.labels.subarray(0, again.n)].map((l) => LABELS[l]), c.text).toEqual(c.labels);
    }
  });
});

/** Plain decoding: every feature row summed per token (featureRows), then Viterbi. */
function plainLabels(model: ReturnType<typeof loadNerModel>, text: string): number[] {
  const k = LABELS.length;
  const rows = featureRows(tokenizeForNer(text).map((t) => t.text), model.header.buckets);
  const emit = rows.map((r) => {
    const e = new Array<number>(k).fill(0);
    for (const row of r) for (let j = 0; j < k; j++) e[j] = (e[j] as number) + (model.weights[row * k + j] as number) * model.scale;
    return e;
  });
  if (emit.length === 0) return [];
  let score = emit[0]?.map((v, j) => v + (model.start[j] as number)) as number[];
  const back: number[][] = [];
  for (let i = 1; i < emit.length; i++) {
    const b: number[] = [];
    score = (emit[i] as number[]).map((v, j) => {
      let best = Number.NEGATIVE_INFINITY;
      score.forEach((s, p) => {
        const x = s + (model.trans[p * k + j] as number);
        if (x > best) {
          best = x;
          b[j] = p;
        }
      });
      return best + v;
    });
    back.push(b);
  }
  let arg = 0;
  score.forEach((s, j) => {
    if (s + (model.end[j] as number) > (score[arg] as number) + (model.end[arg] as number)) arg = j;
  });
  const path = [arg];
  for (let i = back.length - 1; i >= 0; i--) path.unshift((back[i] as number[])[path[0] as number] as number);
  return path;
}

describe('Viterbi', () => {
  it('unrolled and plain loops agree on random emissions', () => {
    const model = loadNerModel(NER_MODEL_FILE);
    const k = LABELS.length;
    const [fast, plain] = [viterbiFor(model), viterbiFor(model, false)];
    let seed = 3;
    const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    for (let round = 0; round < 2000; round++) {
      const n = 1 + Math.floor(next() * 40);
      const emit = Float64Array.from({ length: n * k }, () => (next() - 0.7) * 8);
      const a = new Int8Array(n);
      const b = new Int8Array(n);
      fast(emit, n, a, new Int8Array(n * k));
      plain(emit, n, b, new Int8Array(n * k));
      expect([...a]).toEqual([...b]);
    }
  });
});

describe('tagger caches give the plain result', () => {
  it('on multi-line support messages, first seen and repeated', async () => {
    const { generateSupportThreads } = await import('../../integrations/sandbox-kit/data.ts');
    const model = loadNerModel(NER_MODEL_FILE);
    const tagger = new NerTagger(model);
    const texts = generateSupportThreads({ seed: 5, count: 150 }).flatMap((t) => [t.subject, ...t.turns.map((turn) => turn.body)]);
    texts.push('a\n\n  b', '\n\nHallo\n', '  \t\n', 'x'.repeat(1500) + '\nBest,\nTom', `Hi Anna,${' '.repeat(80)}\nthanks`);
    for (const text of [...texts, ...texts]) {
      const tagged = tagger.tag(text);
      expect([...tagged.labels.subarray(0, tagged.n)], text).toEqual(plainLabels(model, text));
    }
  });
});

describe('tokenizer: the scanner and its regex definition agree', () => {
  it('on every sentence of the corpora dev splits', () => {
    const root = new URL('../../../shared/datasets/ner/', import.meta.url);
    if (!existsSync(root)) return;
    let checked = 0;
    for (const folder of readdirSync(root)) {
      const file = new URL(`${folder}/dev.conll`, root);
      if (!existsSync(file)) continue;
      for (const block of readFileSync(file, 'utf8').split('\n\n')) {
        const text = block.split('\n').map((l) => l.split('\t')[0]).join(' ');
        expect(tokenizeForNer(text), text).toEqual(tokenizeForNerRegex(text));
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(1000);
  });

  it('on random strings of the characters that matter', () => {
    const pieces = ['a', 'B', 'ü', 'É', '1', '.', '@', '#', '-', "'", '’', '&', ' ', '\n', '\t', 'http://', 'https://', 'www.', '/', '<', '"', '😀', '\ud800', 'x.de', 's', 'Dr', '\u00a0', 'ß', '\u0301', '_', '%', '+', 'Ω', '٣', ' '.repeat(70)];
    let seed = 7;
    const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    for (let i = 0; i < 50_000; i++) {
      let text = '';
      for (let k = Math.floor(next() * 14); k >= 0; k--) text += pieces[Math.floor(next() * pieces.length)];
      expect(tokenizeForNer(text), JSON.stringify(text)).toEqual(tokenizeForNerRegex(text));
    }
  });
});
