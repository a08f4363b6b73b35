/**
 * Every encrypted column, re-sealed in one transaction: connection credentials, inbound webhook
 * secrets, event subscription secrets and unfinished erasures' work. Run by `tuneloop connections
 * rekey` after a key rotation, and by the hub at start, so values sealed before the row binding
 * (v1) are read once more and written back bound to their rows.
 */
import type { Tx } from '../db/client.ts';
import { rekeyConnections } from '../connections/store.ts';
import { rekeyErasureWork } from '../gdpr/erasures.ts';
import { rekeySubscriptionSecrets } from '../events/subscriptions.ts';
import { rekeyWebhookSecrets } from '../webhooks/secrets.ts';
import type { Keyring } from './encryption.ts';
import type { ResealResult } from './reseal.ts';

export interface ResealAllResult {
  connections: ResealResult;
  webhookSecrets: ResealResult;
  subscriptionSecrets: ResealResult;
  erasureWork: ResealResult;
}

export async function resealAll(db: Tx, keyring: Keyring, actor: string): Promise<ResealAllResult> {
  return db.transaction(async (tx) => ({
    connections: await rekeyConnections(tx, keyring, actor),
    webhookSecrets: await rekeyWebhookSecrets(tx, keyring),
    subscriptionSecrets: await rekeySubscriptionSecrets(tx, keyring),
    erasureWork: await rekeyErasureWork(tx, keyring),
  }));
}

/** One line for people: how many of each were re-sealed, and which rows no key opens. */
export function describeReseal(result: ResealAllResult): string {
  const parts = Object.entries(result).map(([what, r]) => `${what}: ${r.resealed} re-sealed${r.unreadable.length ? `, ${r.unreadable.length} unreadable (${r.unreadable.join(', ')})` : ''}`);
  return parts.join('; ');
}

export function unreadableCount(result: ResealAllResult): number {
  return Object.values(result).reduce((sum, r) => sum + r.unreadable.length, 0);
}
