/**
 * The person-name part of `npm run eval:pii`: the TEST splits of ../shared/datasets/ner (one
 * dataset per corpus, PER scored as NAME) and the support-style set of support-names-eval.ts, in
 * one table per language with two aggregates.
 *
 * The aggregates were fixed before any test number of the trained model was looked at:
 *   - "all": micro-average (summed TP, predictions and gold spans) over every scored set of the
 *     language: its NER test splits, the held-out half of GermEval (DE) or of presidio and Bitext
 *     (EN), and the support-style set.
 *   - "modern": the same without the two historical OCR corpora (de_zefys_sbb,
 *     de_europeana_newspapers: 1710–1926 newspapers with OCR noise), which are nothing like
 *     support text. English has no historical corpus, so its "modern" equals "all".
 * Tokens are joined with single spaces to make the text; gold offsets follow from that.
 */
import { readFileSync } from 'node:fs';

export interface NerGold {
  start: number;
  end: number;
}
export interface NerSentence {
  text: string;
  gold: NerGold[];
}

const NER_DATA = new URL('../../shared/datasets/ner/', import.meta.url);

/** Every corpus with a test split, in README order; `historical` marks the OCR newspapers. */
export const NER_TEST_CORPORA: { folder: string; lang: 'de' | 'en'; historical?: boolean }[] = [
  { folder: 'de_ler_legal', lang: 'de' },
  { folder: 'de_zefys_sbb', lang: 'de', historical: true },
  { folder: 'de_europeana_newspapers', lang: 'de', historical: true },
  { folder: 'de_smartdata', lang: 'de' },
  { folder: 'de_mobie', lang: 'de' },
  { folder: 'de_uner_pud', lang: 'de' },
  { folder: 'de_europarl_ixa', lang: 'de' },
  { folder: 'en_btc', lang: 'en' },
  { folder: 'en_wnut17', lang: 'en' },
  { folder: 'en_wikigold', lang: 'en' },
  { folder: 'en_sec_filings', lang: 'en' },
  { folder: 'en_uner_ewt', lang: 'en' },
  { folder: 'en_uner_pud', lang: 'en' },
  { folder: 'en_europarl_ixa', lang: 'en' },
];

/** Corpora with a dev split (for choosing between variants; never the test splits). */
export const NER_DEV_CORPORA: { folder: string; lang: 'de' | 'en'; historical?: boolean }[] = [
  { folder: 'de_ler_legal', lang: 'de' },
  { folder: 'de_zefys_sbb', lang: 'de', historical: true },
  { folder: 'de_europeana_newspapers', lang: 'de', historical: true },
  { folder: 'de_mobie', lang: 'de' },
  { folder: 'en_btc', lang: 'en' },
  { folder: 'en_multiconer_v1', lang: 'en' },
  { folder: 'en_wnut17', lang: 'en' },
  { folder: 'en_wikigold', lang: 'en' },
  { folder: 'en_uner_ewt', lang: 'en' },
];

/** Sentences of one CoNLL file (`token<TAB>BIO-tag`, blank line between sentences) with PER spans. */
export function readConll(folder: string, split: 'train' | 'dev' | 'test'): NerSentence[] {
  const text = readFileSync(new URL(`${folder}/${split}.conll`, NER_DATA), 'utf8');
  const sentences: NerSentence[] = [];
  for (const block of text.split(/\n\s*\n/)) {
    const lines = block.split('\n').filter(Boolean);
    if (lines.length === 0) continue;
    const words: string[] = [];
    const gold: NerGold[] = [];
    let pos = 0;
    let open: NerGold | undefined;
    for (const line of lines) {
      const [word = '', tag = 'O'] = line.split('\t');
      const start = pos + (words.length ? 1 : 0);
      const end = start + word.length;
      words.push(word);
      pos = end;
      if (tag === 'I-PER' && open) {
        open.end = end;
        continue;
      }
      open = undefined;
      if (tag === 'B-PER' || tag === 'I-PER') {
        open = { start, end };
        gold.push(open);
      }
    }
    sentences.push({ text: words.join(' '), gold });
  }
  return sentences;
}
