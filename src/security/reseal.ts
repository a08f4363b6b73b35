/**
 * Re-sealing one encrypted column: every value sealed with an older key, or in the old format
 * without its row binding (v1), is opened and sealed again with the current key, bound to its row.
 * A value that cannot be opened is reported by row id, not thrown: one lost value must not stop
 * the others from being re-sealed (its user fails with a clear reason instead).
 */
import { DecryptionError, decryptJson, encryptJson, needsReseal, type Keyring, type SealPlace } from './encryption.ts';

export interface ResealResult {
  resealed: number;
  /** Row ids whose value no configured key opens. */
  unreadable: string[];
}

export interface SealedRow {
  id: string;
  sealed: string | null;
}

/**
 * `write` replaces the value only if it is still `previous` (a concurrent writer wins), and says
 * whether it did.
 */
export async function resealRows(keyring: Keyring, rows: SealedRow[], place: (id: string) => SealPlace, write: (id: string, sealed: string, previous: string) => Promise<boolean>): Promise<ResealResult> {
  const result: ResealResult = { resealed: 0, unreadable: [] };
  for (const row of rows) {
    if (row.sealed === null || !needsReseal(keyring, row.sealed)) continue;
    let value: unknown;
    try {
      value = decryptJson(keyring, row.sealed, place(row.id));
    } catch (error) {
      if (!(error instanceof DecryptionError)) throw error;
      result.unreadable.push(row.id);
      continue;
    }
    if (await write(row.id, encryptJson(keyring, value, place(row.id)), row.sealed)) result.resealed++;
  }
  return result;
}
