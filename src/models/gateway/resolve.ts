/**
 * Which model a request names: a model id, `<task>@production` (split by a running A/B test as
 * drafts are, stable per `user` when the caller sends one), `<task>@candidate` (the A/B candidate,
 * else the newest candidate), or an alias an operator gave a model. Lookups are cached for at most
 * a second per process, like the registry's serving state, so a promotion is live within a second.
 */
import { randomUUID } from 'node:crypto';
import { and, desc, eq } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { abTests, modelAliases, models } from '../../db/schema/index.ts';
import { getModel, modelForTicket, type ModelRow } from '../registry/registry.ts';

export interface ResolvedModel {
  model: ModelRow;
  /** What the caller named, echoed back in `model` fields. */
  requested: string;
  /** The aliases that reach this model (for scope checks). */
  names: string[];
}

const CACHE_MS = 1_000;
const ALIAS_PATTERN = /^([a-z][a-z0-9_-]{0,49})@(production|candidate)$/;
export const ALIAS_NAME = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$/;

const caches = new WeakMap<object, Map<string, { value: ModelRow | null; expiresAt: number }>>();

async function cached(db: Db, key: string, load: () => Promise<ModelRow | null>): Promise<ModelRow | null> {
  let cache = caches.get(db);
  if (!cache) caches.set(db, (cache = new Map()));
  const hit = cache.get(key);
  if (hit && hit.expiresAt > Date.now()) return hit.value;
  const value = await load();
  if (cache.size > 10_000) cache.clear();
  cache.set(key, { value, expiresAt: Date.now() + CACHE_MS });
  return value;
}

async function runningCandidate(db: Db, task: string): Promise<ModelRow | null> {
  const [row] = await db.select({ model: models }).from(abTests).innerJoin(models, eq(models.id, abTests.candidateModelId)).where(and(eq(abTests.task, task), eq(abTests.status, 'running')));
  return row?.model ?? null;
}

async function newestCandidate(db: Db, task: string): Promise<ModelRow | null> {
  const [row] = await db.select().from(models).where(and(eq(models.task, task), eq(models.status, 'candidate'))).orderBy(desc(models.createdAt)).limit(1);
  return row ?? null;
}

/** null: nothing by that name (the caller answers 404). */
export async function resolveModel(db: Db, requested: string, user?: string): Promise<ResolvedModel | null> {
  const alias = ALIAS_PATTERN.exec(requested);
  if (alias) {
    const [, task = '', which] = alias;
    if (which === 'production') {
      const served = await modelForTicket(db, task, user ?? randomUUID());
      return served ? { model: served.model, requested, names: [requested] } : null;
    }
    const model = await cached(db, `candidate:${task}`, async () => (await runningCandidate(db, task)) ?? newestCandidate(db, task));
    return model ? { model, requested, names: [requested] } : null;
  }
  const byId = await cached(db, `id:${requested}`, () => getModel(db, requested));
  if (byId) return { model: byId, requested, names: [] };
  if (!ALIAS_NAME.test(requested)) return null;
  const byAlias = await cached(db, `alias:${requested}`, async () => {
    const [row] = await db.select({ model: models }).from(modelAliases).innerJoin(models, eq(models.id, modelAliases.modelId)).where(eq(modelAliases.name, requested));
    return row?.model ?? null;
  });
  return byAlias ? { model: byAlias, requested, names: [requested] } : null;
}
