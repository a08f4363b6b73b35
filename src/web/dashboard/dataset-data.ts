/** Reads behind the dataset pages that the manifest does not hold: a token-length histogram of a split. */
import { createInterface } from 'node:readline';
import type { ArtifactStore } from '../../artifacts/store.ts';
import { openSplit } from '../../datasets/export.ts';
import { exampleTokens } from '../../datasets/stats.ts';
import type { Split } from '../../datasets/types.ts';
import type { VersionRow } from '../../datasets/versions.ts';

/** Lines read at most: enough for the shape of the distribution, bounded for big versions. */
const HISTOGRAM_LINES = 20_000;

/** Examples per token-length bucket (powers of two), counted the way the manifest counts tokens. */
export async function tokenHistogram(store: ArtifactStore, version: VersionRow, split: Split): Promise<Record<string, number>> {
  const { stream } = await openSplit(store, version, split);
  const buckets = new Map<number, number>();
  let lines = 0;
  for await (const line of createInterface({ input: stream, crlfDelay: Infinity })) {
    if (!line.trim()) continue;
    const parsed = JSON.parse(line) as { messages?: Array<{ content?: unknown }> };
    const tokens = exampleTokens((parsed.messages ?? []).map((m) => ({ content: typeof m.content === 'string' ? m.content : '' })));
    const upper = 2 ** Math.ceil(Math.log2(Math.max(tokens, 16)));
    buckets.set(upper, (buckets.get(upper) ?? 0) + 1);
    if (++lines >= HISTOGRAM_LINES) {
      stream.destroy();
      break;
    }
  }
  return Object.fromEntries([...buckets.entries()].sort((a, b) => a[0] - b[0]).map(([upper]) => [`≤ ${upper} tokens`, buckets.get(upper) ?? 0]));
}
