/** What operators manage around the inference API: model aliases, and the usage report. */
import { and, desc, eq, gte, lt, sql, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import { recordAudit } from '../../audit.ts';
import type { Db, Tx } from '../../db/client.ts';
import { inferenceTokens, inferenceUsage, modelAliases } from '../../db/schema/index.ts';
import { getModel } from '../registry/registry.ts';
import { ALIAS_NAME } from './resolve.ts';

export class AliasError extends Error {
  override name = 'AliasError';
}

export const AliasName = z
  .string()
  .regex(ALIAS_NAME, 'an alias is 1-100 letters, digits, ".", "_", ":" or "-", starting with a letter or digit')
  .refine((name) => !/@(production|candidate)$/.test(name), 'names ending in @production or @candidate are the built-in aliases')
  .refine((name) => !/^[0-9a-f]{8}-[0-9a-f]{4}-/i.test(name), 'an alias must not look like a model id');

/** Points `name` at a model (creating or moving the alias), audited. */
export async function setAlias(db: Tx, name: string, modelId: string, actor: string) {
  if (!(await getModel(db, modelId))) throw new AliasError(`no model "${modelId}"`);
  const [row] = await db
    .insert(modelAliases)
    .values({ name, modelId, createdBy: actor })
    .onConflictDoUpdate({ target: modelAliases.name, set: { modelId, createdBy: actor, createdAt: new Date() } })
    .returning();
  await recordAudit(db, { actor, action: 'model_alias.set', subjectType: 'model', subjectId: modelId, details: { alias: name } });
  return row!;
}

export async function removeAlias(db: Tx, name: string, actor: string): Promise<boolean> {
  const [row] = await db.delete(modelAliases).where(eq(modelAliases.name, name)).returning();
  if (row) await recordAudit(db, { actor, action: 'model_alias.removed', subjectType: 'model', subjectId: row.modelId, details: { alias: name } });
  return Boolean(row);
}

export async function listAliases(db: Db) {
  return db.select().from(modelAliases).orderBy(modelAliases.name);
}

export const USAGE_GROUPS = ['model', 'token', 'day'] as const;
export type UsageGroup = (typeof USAGE_GROUPS)[number];

export interface UsageLine {
  key: string;
  label: string;
  requests: number;
  errors: number;
  prompt_tokens: number;
  completion_tokens: number;
  cost_usd: number;
  latency_p50_ms: number | null;
  latency_p95_ms: number | null;
}

/** Usage summed by model, token or day (UTC) between `from` (inclusive) and `to` (exclusive). */
export async function usageReport(db: Db, options: { groupBy: UsageGroup; from: Date; to: Date; tokenId?: string; modelId?: string }): Promise<UsageLine[]> {
  const key: SQL<string> =
    options.groupBy === 'model'
      ? sql<string>`coalesce(${inferenceUsage.modelId}::text, ${inferenceUsage.requested})`
      : options.groupBy === 'token'
        ? sql<string>`coalesce(${inferenceUsage.tokenId}::text, 'api:' || ${inferenceUsage.apiTokenId}::text, 'unknown')`
        : sql<string>`to_char(${inferenceUsage.createdAt} AT TIME ZONE 'UTC', 'YYYY-MM-DD')`;
  const label: SQL<string> = options.groupBy === 'token' ? sql<string>`coalesce(max(${inferenceTokens.name}), 'admin API token')` : sql<string>`''`;
  const filters = [gte(inferenceUsage.createdAt, options.from), lt(inferenceUsage.createdAt, options.to)];
  if (options.tokenId) filters.push(eq(inferenceUsage.tokenId, options.tokenId));
  if (options.modelId) filters.push(eq(inferenceUsage.modelId, options.modelId));
  const rows = await db
    .select({
      key,
      label,
      requests: sql<number>`count(*)::int`,
      errors: sql<number>`count(*) FILTER (WHERE ${inferenceUsage.status} >= 400)::int`,
      promptTokens: sql<number>`coalesce(sum(${inferenceUsage.promptTokens}), 0)::bigint`,
      completionTokens: sql<number>`coalesce(sum(${inferenceUsage.completionTokens}), 0)::bigint`,
      cost: sql<number>`coalesce(sum(${inferenceUsage.costUsd}), 0)::float8`,
      p50: sql<number | null>`percentile_cont(0.5) WITHIN GROUP (ORDER BY ${inferenceUsage.latencyMs}) FILTER (WHERE ${inferenceUsage.status} < 400)`,
      p95: sql<number | null>`percentile_cont(0.95) WITHIN GROUP (ORDER BY ${inferenceUsage.latencyMs}) FILTER (WHERE ${inferenceUsage.status} < 400)`,
    })
    .from(inferenceUsage)
    .leftJoin(inferenceTokens, eq(inferenceTokens.id, inferenceUsage.tokenId))
    .where(and(...filters))
    .groupBy(key)
    .orderBy(desc(sql`count(*)`));
  return rows.map((row) => ({
    key: row.key,
    label: row.label || row.key,
    requests: Number(row.requests),
    errors: Number(row.errors),
    prompt_tokens: Number(row.promptTokens),
    completion_tokens: Number(row.completionTokens),
    cost_usd: Number(row.cost),
    latency_p50_ms: row.p50 === null ? null : Math.round(Number(row.p50) * 10) / 10,
    latency_p95_ms: row.p95 === null ? null : Math.round(Number(row.p95) * 10) / 10,
  }));
}
