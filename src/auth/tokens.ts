/**
 * Admin API tokens: `tl_` + 32 random bytes. Only the SHA-256 is stored, so a database dump reveals
 * no usable token; the token is printed once at creation. High entropy makes a plain hash enough.
 */
import { createHash, randomBytes } from 'node:crypto';
import { and, desc, eq, isNull, or } from 'drizzle-orm';
import type { Tx } from '../db/client.ts';
import { apiTokens } from '../db/schema/index.ts';
import { recordAudit } from '../audit.ts';

const TOKEN_PATTERN = /^tl_[A-Za-z0-9_-]{43}$/;

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export interface TokenInfo {
  id: string;
  name: string;
  prefix: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

export async function createToken(db: Tx, name: string, actor: string): Promise<{ token: string; info: TokenInfo }> {
  const token = `tl_${randomBytes(32).toString('base64url')}`;
  const [row] = await db
    .insert(apiTokens)
    .values({ name, prefix: token.slice(0, 10), hash: hashToken(token) })
    .returning();
  if (!row) throw new Error('token insert returned nothing');
  await recordAudit(db, { actor, action: 'token.created', subjectType: 'api_token', subjectId: row.id, details: { name } });
  return { token, info: toInfo(row) };
}

/** The token's row when it is valid and not revoked; null otherwise. */
export async function verifyToken(db: Tx, token: string): Promise<TokenInfo | null> {
  if (!TOKEN_PATTERN.test(token)) return null;
  const [row] = await db
    .select()
    .from(apiTokens)
    .where(and(eq(apiTokens.hash, hashToken(token)), isNull(apiTokens.revokedAt)))
    .limit(1);
  return row ? toInfo(row) : null;
}

export async function touchToken(db: Tx, id: string): Promise<void> {
  await db.update(apiTokens).set({ lastUsedAt: new Date() }).where(eq(apiTokens.id, id));
}

export async function listTokens(db: Tx): Promise<TokenInfo[]> {
  const rows = await db.select().from(apiTokens).orderBy(desc(apiTokens.createdAt));
  return rows.map(toInfo);
}

/** Revokes by id or by name; returns how many tokens were revoked. */
export async function revokeToken(db: Tx, idOrName: string, actor: string): Promise<number> {
  const isUuid = /^[0-9a-f-]{36}$/i.test(idOrName);
  const match = isUuid ? or(eq(apiTokens.id, idOrName), eq(apiTokens.name, idOrName)) : eq(apiTokens.name, idOrName);
  const rows = await db
    .update(apiTokens)
    .set({ revokedAt: new Date() })
    .where(and(match, isNull(apiTokens.revokedAt)))
    .returning({ id: apiTokens.id, name: apiTokens.name });
  for (const row of rows) {
    await recordAudit(db, { actor, action: 'token.revoked', subjectType: 'api_token', subjectId: row.id, details: { name: row.name } });
  }
  return rows.length;
}

function toInfo(row: typeof apiTokens.$inferSelect): TokenInfo {
  return { id: row.id, name: row.name, prefix: row.prefix, createdAt: row.createdAt, lastUsedAt: row.lastUsedAt, revokedAt: row.revokedAt };
}
