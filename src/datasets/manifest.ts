/**
 * The manifest: everything a person (or an auditor) needs to know about a version without opening
 * its files. Stored as jsonb on the version and returned by the API and `tuneloop dataset show`.
 */
import { z } from 'zod';
import type { DatasetConfig, Task } from './config.ts';
import type { PipelineSummary } from './curate.ts';
import { exampleTokens, TOKEN_METHOD, tokenStats, type TokenStats } from './stats.ts';
import { increment, SPLITS, type Counts, type Split } from './types.ts';
import type { SplitFile } from './write.ts';

export const FORMAT = 'OpenAI chat fine-tuning JSONL: one {"messages":[{"role","content","weight"?}]} object per line';
export const PREFERENCE_FORMAT = 'TRL conversational preference JSONL: one {"prompt":[…],"chosen":[{"role":"assistant",…}],"rejected":[{"role":"assistant",…}]} object per line';

export function formatOf(task: Task): string {
  return task === 'preference' ? PREFERENCE_FORMAT : FORMAT;
}

export interface Manifest {
  formatVersion: 1;
  format: string;
  dataset: { id: string; name: string; task: Task };
  version: number;
  origin: 'build' | 'upload' | 'erasure';
  sources: {
    connections: Array<{ id: string; name: string | null; vendor: string | null }>;
    since: string | null;
    until: string | null;
    conversationTimeRange: { first: string | null; last: string | null };
    upload?: { format: 'jsonl' | 'csv'; rows: number; bytes: number };
  };
  /** Counts in and out of each step, with the reasons for every drop. */
  steps: Partial<PipelineSummary['steps']> & Record<string, unknown>;
  splits: Record<Split, SplitFile>;
  labels: Record<string, Counts>;
  tokens: { method: string; all: TokenStats; bySplit: Record<Split, TokenStats> };
  config: DatasetConfig;
  /** The PII scrubber that scrubbed this version: a better one can rebuild older versions. */
  scrubber?: { nameModel: string };
  notes: string[];
  /** An earlier ready version with the same content hash. */
  identicalTo?: number;
  erasure?: { parentVersionId: string; parentVersion: number; removedExamples: Record<Split, number>; erasureId: string };
  builtAt: string;
  durationMs: number;
}

/** A split file as a stored manifest lists it (write.ts SplitFile). */
const StoredSplitFile = z.looseObject({ key: z.string().min(1), examples: z.number().int().min(0), sha256: z.string().optional() });

/**
 * What the later stages read of a stored manifest (jsonb, so parsed, never cast): the split files
 * and the config. Loose: the rest stays for people and the API. A version built before a split
 * existed may lack validation or test.
 */
export const StoredManifest = z.looseObject({
  splits: z.looseObject({ train: StoredSplitFile, validation: StoredSplitFile.optional(), test: StoredSplitFile.optional() }),
  config: z.record(z.string(), z.unknown()).optional(),
});
export type StoredManifest = z.infer<typeof StoredManifest>;

/** Token and label statistics recomputed from JSONL lines (uploads, erasure successors). */
export class LineStats {
  private readonly tokens: Record<Split, number[]> = { train: [], validation: [], test: [] };
  readonly labels: Record<string, Counts> = {};

  constructor(private readonly task: Task) {}

  add(split: Split, line: string, messages?: Array<{ role: string; content: string }>): void {
    type Messages = Array<{ role: string; content: string }>;
    const row = messages ? null : (JSON.parse(line) as { messages?: Messages; prompt?: Messages; chosen?: Messages; rejected?: Messages });
    // A preference line counts its prompt and both replies.
    const parsed = messages ?? row?.messages ?? [...(row?.prompt ?? []), ...(row?.chosen ?? []), ...(row?.rejected ?? [])];
    this.tokens[split].push(exampleTokens(parsed));
    if (this.task !== 'triage') return;
    const target = parsed.at(-1)?.content ?? '';
    try {
      const labels: unknown = JSON.parse(target);
      if (labels && typeof labels === 'object' && !Array.isArray(labels)) {
        for (const [name, value] of Object.entries(labels)) if (typeof value === 'string') increment((this.labels[name] ??= {}), value);
      }
    } catch {
      // Not JSON: an upload validated for triage never gets here; other tasks have no labels.
    }
  }

  tokenSummary(): Manifest['tokens'] {
    const bySplit = Object.fromEntries(SPLITS.map((s) => [s, tokenStats(this.tokens[s])])) as Record<Split, TokenStats>;
    return { method: TOKEN_METHOD, all: tokenStats(SPLITS.flatMap((s) => this.tokens[s])), bySplit };
  }
}
