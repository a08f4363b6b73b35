/**
 * The arithmetic of drift: category distributions compared with the Jensen-Shannon distance (base 2,
 * so 0 = identical and 1 = disjoint) and the population stability index, medians, and a bounded
 * word vocabulary for the share of unseen words. Pure functions; drift.ts reads the data.
 */
export type Counts = Record<string, number>;

/** Bounds that keep one check cheap however big the dataset: words kept, and examples read. */
export const VOCABULARY_LIMIT = 200_000;

export function increment(counts: Counts, key: string, by = 1): void {
  counts[key] = (counts[key] ?? 0) + by;
}

function total(counts: Counts): number {
  let sum = 0;
  for (const value of Object.values(counts)) sum += value;
  return sum;
}

function probabilities(counts: Counts, keys: string[]): number[] {
  const sum = total(counts);
  return keys.map((key) => (sum ? (counts[key] ?? 0) / sum : 0));
}

/** sqrt(JS divergence) with log base 2: a metric in [0, 1]. */
export function jensenShannonDistance(expected: Counts, actual: Counts): number {
  const keys = [...new Set([...Object.keys(expected), ...Object.keys(actual)])];
  const p = probabilities(expected, keys);
  const q = probabilities(actual, keys);
  let divergence = 0;
  keys.forEach((_, i) => {
    const pi = p[i] as number;
    const qi = q[i] as number;
    const mi = (pi + qi) / 2;
    if (pi > 0) divergence += 0.5 * pi * Math.log2(pi / mi);
    if (qi > 0) divergence += 0.5 * qi * Math.log2(qi / mi);
  });
  return Math.sqrt(Math.max(0, Math.min(1, divergence)));
}

/** PSI = Σ (q − p) ln(q / p); empty buckets get a small floor so one new category does not give ∞. */
export function populationStabilityIndex(expected: Counts, actual: Counts, floor = 1e-4): number {
  const keys = [...new Set([...Object.keys(expected), ...Object.keys(actual)])];
  const p = probabilities(expected, keys).map((value) => Math.max(value, floor));
  const q = probabilities(actual, keys).map((value) => Math.max(value, floor));
  let psi = 0;
  keys.forEach((_, i) => {
    psi += ((q[i] as number) - (p[i] as number)) * Math.log((q[i] as number) / (p[i] as number));
  });
  return psi;
}

export function median(values: number[]): number | null {
  if (!values.length) return null;
  const sorted = Float64Array.from(values).sort();
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** Lower-cased words of two or more letters: numbers, ids and placeholders do not count as vocabulary. */
export function words(text: string): string[] {
  return (text.toLowerCase().match(/\p{L}{2,}/gu) ?? []).slice(0, 2_000);
}

/** Share of `texts`' words that are not in `vocabulary`, or null without words. */
export function unseenShare(vocabulary: ReadonlySet<string>, texts: Iterable<string>): number | null {
  let seen = 0;
  let unseen = 0;
  for (const text of texts) for (const word of words(text)) vocabulary.has(word) ? seen++ : unseen++;
  return seen + unseen ? unseen / (seen + unseen) : null;
}

/** What one side (training or live) looks like: the inputs' languages, labels and lengths. */
export class InputProfile {
  readonly languages: Counts = {};
  readonly labels: Record<string, Counts> = {};
  readonly lengths: number[] = [];
  readonly texts: string[] = [];

  constructor(private readonly keepTexts: number) {}

  add(text: string, language: string | null, labels: Record<string, string | null> = {}): void {
    increment(this.languages, language ?? 'unknown');
    for (const [name, value] of Object.entries(labels)) if (value !== null) increment((this.labels[name] ??= {}), value);
    this.lengths.push(text.length);
    if (this.texts.length < this.keepTexts) this.texts.push(text);
  }

  get size(): number {
    return this.lengths.length;
  }
}

export interface DriftThresholds {
  js: number;
  lengthChange: number;
  unseen: number;
}

export type DriftMetrics = {
  train: { examples: number; languages: Counts; labels: Record<string, Counts>; medianLength: number | null; heldOutUnseenShare: number | null; vocabulary: number };
  live: { messages: number; since: string; languages: Counts; labels: Record<string, Counts>; medianLength: number | null; unseenShare: number | null };
  language: { jsDistance: number; psi: number };
  labels: Record<string, { jsDistance: number; psi: number }>;
  length: { relativeChange: number | null };
  vocabulary: { unseenShare: number | null; excessUnseenShare: number | null };
  thresholds: DriftThresholds;
  /** Which metrics passed their threshold. */
  reasons: string[];
  /** Set when there was too little live data to judge: never drifted then. */
  insufficient?: string;
};

/** Compares the two profiles; `score` is the largest metric / threshold ratio (≥ 1 means drifted). */
export function compareProfiles(
  train: InputProfile,
  trainExtras: { vocabulary: ReadonlySet<string>; heldOutUnseenShare: number | null },
  live: InputProfile,
  liveSince: Date,
  thresholds: DriftThresholds,
): { metrics: DriftMetrics; drifted: boolean; score: number } {
  const round = (value: number) => Math.round(value * 10_000) / 10_000;
  const trainMedian = median(train.lengths);
  const liveMedian = median(live.lengths);
  const liveUnseen = unseenShare(trainExtras.vocabulary, live.texts);
  const excess = liveUnseen === null ? null : Math.max(0, liveUnseen - (trainExtras.heldOutUnseenShare ?? 0));
  const language = { jsDistance: round(jensenShannonDistance(train.languages, live.languages)), psi: round(populationStabilityIndex(train.languages, live.languages)) };
  const labels: DriftMetrics['labels'] = {};
  for (const name of Object.keys(train.labels)) {
    const liveCounts = live.labels[name] ?? {};
    if (!total(liveCounts)) continue;
    labels[name] = { jsDistance: round(jensenShannonDistance(train.labels[name] ?? {}, liveCounts)), psi: round(populationStabilityIndex(train.labels[name] ?? {}, liveCounts)) };
  }
  const relativeChange = trainMedian && liveMedian !== null ? round(Math.abs(liveMedian - trainMedian) / trainMedian) : null;

  const ratios: Array<[string, number]> = [[`language (JS ${language.jsDistance})`, language.jsDistance / thresholds.js]];
  for (const [name, value] of Object.entries(labels)) ratios.push([`label ${name} (JS ${value.jsDistance})`, value.jsDistance / thresholds.js]);
  if (relativeChange !== null) ratios.push([`median length (${Math.round(relativeChange * 100)} % change)`, relativeChange / thresholds.lengthChange]);
  if (excess !== null) ratios.push([`unseen words (${Math.round(excess * 100)} % above held-out)`, excess / thresholds.unseen]);
  const score = round(Math.max(0, ...ratios.map(([, ratio]) => ratio)));
  const reasons = ratios.filter(([, ratio]) => ratio > 1).map(([reason]) => reason);

  const metrics: DriftMetrics = {
    train: { examples: train.size, languages: train.languages, labels: train.labels, medianLength: trainMedian, heldOutUnseenShare: trainExtras.heldOutUnseenShare === null ? null : round(trainExtras.heldOutUnseenShare), vocabulary: trainExtras.vocabulary.size },
    live: { messages: live.size, since: liveSince.toISOString(), languages: live.languages, labels: live.labels, medianLength: liveMedian, unseenShare: liveUnseen === null ? null : round(liveUnseen) },
    language,
    labels,
    length: { relativeChange },
    vocabulary: { unseenShare: liveUnseen === null ? null : round(liveUnseen), excessUnseenShare: excess === null ? null : round(excess) },
    thresholds,
    reasons,
  };
  return { metrics, drifted: reasons.length > 0, score };
}
