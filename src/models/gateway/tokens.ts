/**
 * Inference tokens: `tli_` + 32 random bytes, stored as a SHA-256 like the admin tokens, each one
 * limited to the models (ids or aliases) and tasks it names, with optional rate limits and a
 * monthly budget. They open `/v1/…` only; the admin API refuses them (different prefix, table).
 */
import { randomBytes } from 'node:crypto';
import { and, desc, eq, isNull, or } from 'drizzle-orm';
import { z } from 'zod';
import { recordAudit } from '../../audit.ts';
import { hashToken } from '../../auth/tokens.ts';
import type { Tx } from '../../db/client.ts';
import { inferenceTokens } from '../../db/schema/index.ts';

export type InferenceTokenRow = typeof inferenceTokens.$inferSelect;

const TOKEN_PATTERN = /^tli_[A-Za-z0-9_-]{43}$/;
export const isInferenceToken = (token: string) => token.startsWith('tli_');

const name = z.string().trim().min(1).max(100);
export const NewInferenceToken = z.strictObject({
  name,
  models: z.array(z.string().trim().min(1).max(200)).max(100).default([]),
  tasks: z.array(z.string().trim().min(1).max(50)).max(20).default([]),
  requests_per_minute: z.number().int().positive().max(1_000_000).nullable().default(null),
  tokens_per_minute: z.number().int().positive().max(1_000_000_000).nullable().default(null),
  monthly_budget_usd: z.number().positive().max(1_000_000).nullable().default(null),
  budget_action: z.enum(['warn', 'refuse']).default('warn'),
}).refine((token) => token.models.length + token.tasks.length > 0, { message: 'name at least one model or task the token may call (tasks: ["*"] for every task)', path: ['models'] });
export type NewInferenceToken = z.infer<typeof NewInferenceToken>;

export async function createInferenceToken(db: Tx, input: NewInferenceToken, actor: string): Promise<{ token: string; row: InferenceTokenRow }> {
  const token = `tli_${randomBytes(32).toString('base64url')}`;
  const [row] = await db
    .insert(inferenceTokens)
    .values({
      name: input.name,
      prefix: token.slice(0, 11),
      hash: hashToken(token),
      models: input.models,
      tasks: input.tasks,
      requestsPerMinute: input.requests_per_minute,
      tokensPerMinute: input.tokens_per_minute,
      monthlyBudgetUsd: input.monthly_budget_usd,
      budgetAction: input.budget_action,
      createdBy: actor,
    })
    .returning();
  if (!row) throw new Error('inference token insert returned nothing');
  await recordAudit(db, { actor, action: 'inference_token.created', subjectType: 'inference_token', subjectId: row.id, details: { name: input.name, models: input.models, tasks: input.tasks } });
  return { token, row };
}

export async function verifyInferenceToken(db: Tx, token: string): Promise<InferenceTokenRow | null> {
  if (!TOKEN_PATTERN.test(token)) return null;
  const [row] = await db.select().from(inferenceTokens).where(and(eq(inferenceTokens.hash, hashToken(token)), isNull(inferenceTokens.revokedAt))).limit(1);
  return row ?? null;
}

export async function listInferenceTokens(db: Tx): Promise<InferenceTokenRow[]> {
  return db.select().from(inferenceTokens).orderBy(desc(inferenceTokens.createdAt));
}

export async function revokeInferenceToken(db: Tx, idOrName: string, actor: string): Promise<number> {
  const match = /^[0-9a-f-]{36}$/i.test(idOrName) ? or(eq(inferenceTokens.id, idOrName), eq(inferenceTokens.name, idOrName)) : eq(inferenceTokens.name, idOrName);
  const rows = await db.update(inferenceTokens).set({ revokedAt: new Date() }).where(and(match, isNull(inferenceTokens.revokedAt))).returning({ id: inferenceTokens.id, name: inferenceTokens.name });
  for (const row of rows) await recordAudit(db, { actor, action: 'inference_token.revoked', subjectType: 'inference_token', subjectId: row.id, details: { name: row.name } });
  return rows.length;
}

/** What a caller sees of a token: never the hash. */
export function publicInferenceToken(row: InferenceTokenRow) {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    models: row.models,
    tasks: row.tasks,
    requests_per_minute: row.requestsPerMinute,
    tokens_per_minute: row.tokensPerMinute,
    monthly_budget_usd: row.monthlyBudgetUsd,
    budget_action: row.budgetAction,
    created_at: row.createdAt.toISOString(),
    last_used_at: row.lastUsedAt?.toISOString() ?? null,
    revoked_at: row.revokedAt?.toISOString() ?? null,
  };
}

/** The token's row by id while it is not revoked (a batch runs with the rights of the token that made it). */
export async function verifyInferenceTokenById(db: Tx, id: string): Promise<InferenceTokenRow | null> {
  const [row] = await db.select().from(inferenceTokens).where(and(eq(inferenceTokens.id, id), isNull(inferenceTokens.revokedAt))).limit(1);
  return row ?? null;
}
