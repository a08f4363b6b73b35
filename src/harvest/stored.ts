/**
 * What a stored batch tells the stages after harvest (compliance scan, drafts, feedback), inside
 * the batch's transaction, so a rollback takes back whatever they queued. Harvest declares the
 * event and never imports those stages; serving subscribes (src/serving/on-harvest.ts) and the
 * composition roots (src/jobs/handlers.ts, the CLI) connect the two.
 */
import type { Tx } from '../db/client.ts';

export interface BatchStored {
  connectionId: string;
  /** Conversations this batch inserted or changed (unchanged ones are not written at all). */
  conversationIds: number[];
  /**
   * A harvest after the connection's first completed one: it brings tickets someone may be
   * waiting on. False for the backfill of history and for a conversation stored outside a harvest.
   */
  incremental: boolean;
}

export type OnBatchStored = (tx: Tx, event: BatchStored) => Promise<void>;
