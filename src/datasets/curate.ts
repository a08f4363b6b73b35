/**
 * The curation steps in order, one conversation at a time and without I/O, so a build can stream
 * 50k conversations through it and the benchmark can run it in memory:
 * select (conversation filters) → extract (+ scrub, lazily) → filter → dedup → split.
 * Feed conversations newest first: dedup keeps the first copy it sees.
 */
import { createHash } from 'node:crypto';
import type { DatasetConfig, Task } from './config.ts';
import { Deduplicator } from './steps/dedup.ts';
import { extract } from './steps/extract.ts';
import { conversationDropReason, ExampleFilter } from './steps/filter.ts';
import { CurationScrubber, rawTexts, type ScrubStats } from './steps/scrub.ts';
import { groupKeyOf, Splitter } from './steps/split.ts';
import { exampleTokens, TOKEN_METHOD, tokenStats, type TokenStats } from './stats.ts';
import { increment, SPLITS, type Counts, type Example, type SourceConversation, type Split } from './types.ts';

export interface CuratedExample {
  split: Split;
  /** The JSONL line, without its newline: {"messages":[...]}. */
  line: string;
  conversationId: number | null;
  messageIds: number[];
  exampleHash: string;
  /** Preference: the draft the pair was made from. */
  draftId: string | null;
}

/**
 * An example as its JSONL line: OpenAI chat format, or for preference pairs TRL's conversational
 * preference format with an explicit prompt (gpu-worker/tuneloop_worker/data.py), which DPO reads.
 */
export function exampleLine(example: Example): string {
  if (example.rejected === undefined) return JSON.stringify({ messages: example.messages });
  const prompt = example.messages.slice(0, -1).map(({ role, content }) => ({ role, content }));
  return JSON.stringify({ prompt, chosen: [{ role: 'assistant', content: example.target }], rejected: [{ role: 'assistant', content: example.rejected }] });
}

export interface PipelineSummary {
  steps: {
    select: { in: number; out: number; dropped: Counts };
    extract: { conversations: number; examples: number; skipped: Counts };
    scrub: ScrubStats;
    filter: { in: number; out: number; dropped: Counts };
    dedup: { in: number; out: number; dropped: Counts; threshold: number; lsh: { bands: number; rows: number; permutations: number } };
    split: Record<Split, number>;
  };
  /** Kept examples per label value (triage). */
  labels: Record<string, Counts>;
  tokens: { method: string; all: TokenStats; bySplit: Record<Split, TokenStats> };
  conversationTimeRange: { first: string | null; last: string | null };
}

export function exampleHash(line: string): string {
  return createHash('sha256').update(line).digest('base64url').slice(0, 22);
}

export class Curator {
  readonly scrubber: CurationScrubber;
  private readonly filter: ExampleFilter;
  private readonly dedup: Deduplicator;
  private readonly splitter: Splitter;
  private readonly steps: Omit<PipelineSummary['steps'], 'scrub' | 'dedup'> & { dedup: { in: number; out: number; dropped: Counts } };
  private readonly labels: Record<string, Counts> = {};
  private readonly tokens: Record<Split, number[]> = { train: [], validation: [], test: [] };
  private first: Date | null = null;
  private last: Date | null = null;

  /** `scrub: false` only for bench/curate.ts's breakdown of where the time goes; datasets are always scrubbed. */
  constructor(
    readonly task: Task,
    readonly config: DatasetConfig,
    private readonly options: { scrub?: boolean } = {},
  ) {
    this.scrubber = new CurationScrubber(config.scrub);
    this.filter = new ExampleFilter(config);
    this.dedup = new Deduplicator(config.dedup);
    this.splitter = new Splitter(config.split);
    this.steps = {
      select: { in: 0, out: 0, dropped: {} },
      extract: { conversations: 0, examples: 0, skipped: {} },
      filter: { in: 0, out: 0, dropped: {} },
      dedup: { in: 0, out: 0, dropped: {} },
      split: { train: 0, validation: 0, test: 0 },
    };
  }

  add(conversation: SourceConversation): CuratedExample[] {
    const { steps } = this;
    steps.select.in++;
    const dropped = conversationDropReason(conversation, this.config, this.task);
    if (dropped) {
      increment(steps.select.dropped, dropped);
      return [];
    }
    steps.select.out++;
    if (!this.first || conversation.createdAt < this.first) this.first = conversation.createdAt;
    if (!this.last || conversation.createdAt > this.last) this.last = conversation.createdAt;

    steps.extract.conversations++;
    const groupKey = groupKeyOf(conversation, this.config.split.groupBy);
    const texts = this.options.scrub === false ? rawTexts(conversation) : this.scrubber.forConversation(conversation);
    const extracted = extract(this.task, conversation, this.config, texts, groupKey);
    for (const [reason, n] of Object.entries(extracted.skipped)) increment(steps.extract.skipped, reason, n);
    steps.extract.examples += extracted.examples.length;

    const out: CuratedExample[] = [];
    for (const example of extracted.examples) {
      steps.filter.in++;
      const reason = this.filter.dropReason(example);
      if (reason) {
        increment(steps.filter.dropped, reason);
        continue;
      }
      steps.filter.out++;
      steps.dedup.in++;
      const duplicate = this.dedup.check(example.dedupText);
      if (duplicate) {
        increment(steps.dedup.dropped, duplicate);
        continue;
      }
      steps.dedup.out++;
      const split = this.splitter.splitOf(example.groupKey);
      steps.split[split]++;
      const line = exampleLine(example);
      // A preference example counts its prompt and both replies.
      this.tokens[split].push(exampleTokens(example.rejected === undefined ? example.messages : [...example.messages, { content: example.rejected }]));
      for (const [name, value] of Object.entries(example.labels ?? {})) increment((this.labels[name] ??= {}), value);
      out.push({ split, line, conversationId: example.conversationId, messageIds: example.messageIds, exampleHash: exampleHash(line), draftId: example.draftId ?? null });
    }
    return out;
  }

  summary(): PipelineSummary {
    const bySplit = Object.fromEntries(SPLITS.map((s) => [s, tokenStats(this.tokens[s])])) as Record<Split, TokenStats>;
    return {
      steps: {
        ...this.steps,
        scrub: this.scrubber.stats(),
        dedup: { ...this.steps.dedup, threshold: this.config.dedup.threshold, lsh: { ...this.dedup.lsh, permutations: this.config.dedup.permutations } },
      },
      labels: this.labels,
      tokens: { method: TOKEN_METHOD, all: tokenStats(SPLITS.flatMap((s) => this.tokens[s])), bySplit },
      conversationTimeRange: { first: this.first?.toISOString() ?? null, last: this.last?.toISOString() ?? null },
    };
  }
}
