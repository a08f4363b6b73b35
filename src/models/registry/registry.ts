/**
 * The model registry: which models exist per task, which one serves (production), and which one a
 * ticket gets while an A/B test runs. Serving reads go through a per-process cache of at most one
 * second, so a promotion made by any process is live everywhere within seconds, without restarts.
 * Switching (promote, rollback, reject) lives in promotion.ts; A/B tests in ab-test.ts.
 */
import { createHash } from 'node:crypto';
import { and, desc, eq, lt, or, sql } from 'drizzle-orm';
import type { Db, Tx } from '../../db/client.ts';
import { abTests, models, type ModelStatus } from '../../db/schema/index.ts';

export type ModelRow = typeof models.$inferSelect;
export type AbTestRow = typeof abTests.$inferSelect;
export type Arm = 'production' | 'candidate';


export type RegistryErrorCode = 'not_found' | 'conflict' | 'gate_blocked' | 'invalid_request';

/** An expected refusal; the API maps the code to 404 / 409 / 400. */
export class RegistryError extends Error {
  override name = 'RegistryError';
  constructor(
    readonly code: RegistryErrorCode,
    message: string,
    /** The gate's verdict when the gate blocked it. */
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

/** How long one process trusts what it read about a task's serving models. */
export const SERVING_CACHE_MS = 1_000;

interface ServingState {
  production: ModelRow | null;
  abTest: { id: string; share: number; candidate: ModelRow } | null;
  expiresAt: number;
}

// Keyed by the database handle: each handle (a process, or a test's second "process") caches alone.
const servingCaches = new WeakMap<object, Map<string, ServingState>>();

async function loadServingState(db: Db, task: string): Promise<ServingState> {
  const [production] = await db.select().from(models).where(and(eq(models.task, task), eq(models.status, 'production')));
  const [running] = await db
    .select({ id: abTests.id, share: abTests.share, candidate: models })
    .from(abTests)
    .innerJoin(models, eq(models.id, abTests.candidateModelId))
    .where(and(eq(abTests.task, task), eq(abTests.status, 'running')));
  return { production: production ?? null, abTest: running ?? null, expiresAt: Date.now() + SERVING_CACHE_MS };
}

async function servingState(db: Db, task: string): Promise<ServingState> {
  let cache = servingCaches.get(db);
  if (!cache) servingCaches.set(db, (cache = new Map()));
  const cached = cache.get(task);
  if (cached && cached.expiresAt > Date.now()) return cached;
  const state = await loadServingState(db, task);
  cache.set(task, state);
  return state;
}

/** Drops this process's cached view of a task (after a switch made here, so it is live at once). */
export function forgetServingState(db: Db, task: string): void {
  servingCaches.get(db)?.delete(task);
}

export async function productionModel(db: Db, task: string): Promise<ModelRow | null> {
  return (await servingState(db, task)).production;
}

/** A number in [0, 1) fixed by the test and the ticket: a ticket keeps its arm for the whole test. */
export function abBucket(abTestId: string, ticketKey: string): number {
  return createHash('sha256').update(`${abTestId}:${ticketKey}`).digest().readUInt32BE(0) / 2 ** 32;
}

/** The model that serves this ticket: the A/B candidate for `share` of tickets while a test runs, production otherwise. */
export async function modelForTicket(db: Db, task: string, ticketKey: string): Promise<{ model: ModelRow; arm: Arm; abTestId: string | null } | null> {
  const state = await servingState(db, task);
  if (!state.production) return null;
  if (state.abTest) {
    const arm: Arm = abBucket(state.abTest.id, ticketKey) < state.abTest.share ? 'candidate' : 'production';
    return { model: arm === 'candidate' ? state.abTest.candidate : state.production, arm, abTestId: state.abTest.id };
  }
  return { model: state.production, arm: 'production', abTestId: null };
}

export async function getModel(db: Tx, id: string): Promise<ModelRow | null> {
  // Not a uuid: no such model, rather than a database error.
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) return null;
  const [row] = await db.select().from(models).where(eq(models.id, id));
  return row ?? null;
}

export async function requireModel(db: Tx, id: string): Promise<ModelRow> {
  return (await getModel(db, id)) ?? notFound(`no model "${id}"`);
}

export function notFound(message: string): never {
  throw new RegistryError('not_found', message);
}

/** Newest first; `after` is the last id of the previous page. */
export async function listModels(db: Tx, options: { task?: string; status?: ModelStatus; after?: string; limit: number }): Promise<{ rows: ModelRow[]; hasMore: boolean }> {
  const after = options.after ? await getModel(db, options.after) : null;
  if (options.after && !after) throw new RegistryError('invalid_request', `after: no model "${options.after}"`);
  const rows = await db
    .select()
    .from(models)
    .where(
      and(
        options.task ? eq(models.task, options.task) : undefined,
        options.status ? eq(models.status, options.status) : undefined,
        after ? or(lt(models.createdAt, after.createdAt), and(eq(models.createdAt, after.createdAt), lt(models.id, after.id))) : undefined,
      ),
    )
    .orderBy(desc(models.createdAt), desc(models.id))
    .limit(options.limit + 1);
  return { rows: rows.slice(0, options.limit), hasMore: rows.length > options.limit };
}

/**
 * Serialises every switch of one task (promote, rollback, reject, A/B start/end) for the rest of
 * the transaction. Taken before any row lock, in every switch, so two switches never deadlock.
 */
export async function lockTask(tx: Tx, task: string): Promise<void> {
  await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtext(${`tuneloop.models:${task}`}))`);
}
