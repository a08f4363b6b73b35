/**
 * Erasure records: a request becomes a row (pending) whose sealed `work` holds the request; run.ts
 * runs its steps and records each. A row left `running` whose heartbeat is older than
 * STALE_AFTER_MS belongs to a process that died (kill -9, a crash): `staleErasures` finds it for
 * resuming, at hub start and by the scheduled `gdpr.erase` job.
 */
import { randomUUID } from 'node:crypto';
import { and, desc, eq, inArray, lt, or, isNull, isNotNull, sql } from 'drizzle-orm';
import type { Tx } from '../db/client.ts';
import { gdprErasures } from '../db/schema/index.ts';
import { decryptJson, encryptJson, placeOf, type Keyring, type SealPlace } from '../security/encryption.ts';
import { resealRows, type ResealResult } from '../security/reseal.ts';
import { ErasureRequest, subjectOf, type Found } from './erase.ts';

export type ErasureRow = typeof gdprErasures.$inferSelect;

export const STEPS = ['database', 'files', 'outside', 'residue', 'retrain'] as const;
export type Step = (typeof STEPS)[number];

/** A running erasure whose heartbeat is older than this is taken over. */
export const STALE_AFTER_MS = 60_000;

export interface Work {
  request: ErasureRequest;
  found?: Found;
}

/** Where an erasure's sealed work lives: it opens on that row only. */
function workPlace(erasureId: string): SealPlace {
  return placeOf('gdpr_erasures', 'work', erasureId);
}

export function sealWork(keyring: Keyring, erasureId: string, work: Work): string {
  return encryptJson(keyring, work, workPlace(erasureId));
}

export function openWork(keyring: Keyring, row: Pick<ErasureRow, 'id' | 'work'>): Work | null {
  if (!row.work) return null;
  const value = decryptJson(keyring, row.work, workPlace(row.id)) as Work;
  return { ...value, request: ErasureRequest.parse(value.request) };
}

export async function createErasure(db: Tx, keyring: Keyring, request: ErasureRequest, requestedBy: string): Promise<ErasureRow> {
  const subject = subjectOf(request);
  // The id is chosen here because the sealed work is bound to it.
  const id = randomUUID();
  const [row] = await db.insert(gdprErasures).values({ id, subjectBy: subject.by, subjectHash: subject.sha256, work: sealWork(keyring, id, { request }), requestedBy, report: { subject } }).returning();
  if (!row) throw new Error('erasure insert returned nothing');
  return row;
}

export async function getErasure(db: Tx, id: string): Promise<ErasureRow | null> {
  const [row] = await db.select().from(gdprErasures).where(eq(gdprErasures.id, id));
  return row ?? null;
}

export async function listErasures(db: Tx, limit = 50): Promise<ErasureRow[]> {
  return db.select().from(gdprErasures).orderBy(desc(gdprErasures.createdAt)).limit(limit);
}

/** Pending ones, and running ones whose process stopped beating. */
export async function staleErasures(db: Tx, now = new Date()): Promise<ErasureRow[]> {
  const stale = new Date(now.getTime() - STALE_AFTER_MS);
  return db
    .select()
    .from(gdprErasures)
    .where(or(eq(gdprErasures.status, 'pending'), and(eq(gdprErasures.status, 'running'), or(isNull(gdprErasures.heartbeatAt), lt(gdprErasures.heartbeatAt, stale)))))
    .orderBy(gdprErasures.createdAt);
}

/**
 * Takes an erasure for this process: pending, failed, or running with a stale heartbeat (or any
 * running one when `force`, for `gdpr resume` after a kill). False when another process holds it
 * or it is done.
 */
export async function claimErasure(db: Tx, id: string, options: { force?: boolean; now?: Date } = {}): Promise<boolean> {
  const now = options.now ?? new Date();
  const stale = new Date(now.getTime() - STALE_AFTER_MS);
  const claimable = options.force
    ? inArray(gdprErasures.status, ['pending', 'running', 'failed'])
    : or(inArray(gdprErasures.status, ['pending', 'failed']), and(eq(gdprErasures.status, 'running'), or(isNull(gdprErasures.heartbeatAt), lt(gdprErasures.heartbeatAt, stale))));
  const claimed = await db
    .update(gdprErasures)
    .set({ status: 'running', heartbeatAt: now, error: null })
    .where(and(eq(gdprErasures.id, id), claimable))
    .returning({ id: gdprErasures.id });
  return claimed.length > 0;
}

export async function beat(db: Tx, id: string): Promise<void> {
  await db.update(gdprErasures).set({ heartbeatAt: new Date() }).where(eq(gdprErasures.id, id));
}

/** Marks a step done and merges its part of the report, in the caller's transaction. */
export async function recordStep(tx: Tx, id: string, step: Step, report: Record<string, unknown>, work?: string | null): Promise<void> {
  await tx
    .update(gdprErasures)
    .set({
      stepsDone: sql`array_append(array_remove(${gdprErasures.stepsDone}, ${step}), ${step})`,
      report: sql`${gdprErasures.report} || ${JSON.stringify(report)}::jsonb`,
      heartbeatAt: new Date(),
      ...(work !== undefined ? { work } : {}),
    })
    .where(eq(gdprErasures.id, id));
}

/** What the API and CLI show: never the sealed work. */
export function presentErasure(row: ErasureRow) {
  return {
    id: row.id,
    status: row.status,
    subject: { by: row.subjectBy, sha256: row.subjectHash },
    stepsDone: row.stepsDone,
    report: row.report,
    error: row.error,
    requestedBy: row.requestedBy,
    createdAt: row.createdAt.toISOString(),
    finishedAt: row.finishedAt?.toISOString() ?? null,
  };
}

/** Re-seals the work of unfinished erasures with the current key, bound to its row (src/security/reseal.ts). */
export async function rekeyErasureWork(db: Tx, keyring: Keyring): Promise<ResealResult> {
  const rows = await db.select({ id: gdprErasures.id, sealed: gdprErasures.work }).from(gdprErasures).where(isNotNull(gdprErasures.work));
  return resealRows(keyring, rows, workPlace, async (id, sealed, previous) => {
    const updated = await db
      .update(gdprErasures)
      .set({ work: sealed })
      .where(and(eq(gdprErasures.id, id), eq(gdprErasures.work, previous)))
      .returning({ id: gdprErasures.id });
    return updated.length > 0;
  });
}
