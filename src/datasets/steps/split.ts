/**
 * Step 5: train / validation / test by a stable hash of the example's group (organisation,
 * requester or conversation). The split of a group depends only on the group's id and the seed,
 * never on what else is in the dataset: adding data never moves an old example, and all of one
 * customer's tickets stay in one split (the test set measures generalisation, not memory).
 */
import { createHash } from 'node:crypto';
import type { DatasetConfig } from '../config.ts';
import type { SourceConversation, Split } from '../types.ts';

/** The group a conversation's examples belong to; falls back to the next finer group when missing. */
export function groupKeyOf(conversation: SourceConversation, groupBy: DatasetConfig['split']['groupBy']): string {
  const scope = conversation.connectionId;
  if (groupBy === 'organization' && conversation.organizationId) return `org:${scope}:${conversation.organizationId}`;
  if (groupBy !== 'conversation' && conversation.requester?.id) return `requester:${scope}:${conversation.requester.id}`;
  return `conversation:${scope}:${conversation.sourceId}`;
}

/** A number in [0, 1) from the group key, the same on every machine and in every version. */
export function unitHash(seed: string, key: string): number {
  const digest = createHash('sha256').update(seed).update('\0').update(key).digest();
  // 48 bits are plenty and stay exact in a double.
  return digest.readUIntBE(0, 6) / 2 ** 48;
}

export class Splitter {
  private readonly cache = new Map<string, Split>();

  constructor(private readonly split: DatasetConfig['split']) {}

  splitOf(groupKey: string): Split {
    let split = this.cache.get(groupKey);
    if (split) return split;
    const u = unitHash(this.split.seed, groupKey);
    split = u < this.split.train ? 'train' : u < this.split.train + this.split.validation ? 'validation' : 'test';
    if (this.cache.size < 100_000) this.cache.set(groupKey, split);
    return split;
  }
}
