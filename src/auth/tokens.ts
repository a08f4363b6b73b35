/**
 * API tokens: `tl_` + 32 random bytes. Only the SHA-256 is stored, so a database dump reveals no
 * usable token; the token is printed once at creation. High entropy makes a plain hash enough.
 * Each token carries one or more roles (src/auth/roles.ts) and may expire.
 */
import { createHash, randomBytes } from 'node:crypto';
import { and, desc, eq, gt, isNull, or } from 'drizzle-orm';
import { z } from 'zod';
import type { Tx } from '../db/client.ts';
import { apiTokens } from '../db/schema/index.ts';
import { recordAudit } from '../audit.ts';
import { Role } from './roles.ts';

const TOKEN_PATTERN = /^tl_[A-Za-z0-9_-]{43}$/;

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export interface TokenInfo {
  id: string;
  name: string;
  prefix: string;
  roles: Role[];
  createdAt: Date;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

export interface NewTokenOptions {
  /** Defaults to ['admin'], what every token could do before roles existed. */
  roles?: readonly Role[];
  expiresAt?: Date | null;
}

export class TokenInputError extends Error {}

export async function createToken(db: Tx, name: string, actor: string, options: NewTokenOptions = {}): Promise<{ token: string; info: TokenInfo }> {
  const roles = [...new Set(options.roles ?? ['admin'])];
  if (roles.length === 0) throw new TokenInputError('a token needs at least one role');
  const expiresAt = options.expiresAt ?? null;
  if (expiresAt && expiresAt.getTime() <= Date.now()) throw new TokenInputError('the expiry must be in the future');
  const token = `tl_${randomBytes(32).toString('base64url')}`;
  const [row] = await db
    .insert(apiTokens)
    .values({ name, prefix: token.slice(0, 10), hash: hashToken(token), roles, expiresAt })
    .returning();
  if (!row) throw new Error('token insert returned nothing');
  await recordAudit(db, {
    actor,
    action: 'token.created',
    subjectType: 'api_token',
    subjectId: row.id,
    details: { name, roles, expiresAt: expiresAt?.toISOString() ?? null },
  });
  return { token, info: toInfo(row) };
}

/** The token's row when it is valid, not revoked and not expired; null otherwise. */
export async function verifyToken(db: Tx, token: string, now: Date = new Date()): Promise<TokenInfo | null> {
  if (!TOKEN_PATTERN.test(token)) return null;
  const [row] = await db
    .select()
    .from(apiTokens)
    .where(and(eq(apiTokens.hash, hashToken(token)), isNull(apiTokens.revokedAt), or(isNull(apiTokens.expiresAt), gt(apiTokens.expiresAt, now))))
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

const DURATION = /^(\d{1,6})(m|h|d|w)$/;
const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

/** "90m", "12h", "30d", "2w" → milliseconds; null when the text is not such a duration. */
export function parseDuration(text: string): number | null {
  const match = DURATION.exec(text.trim());
  if (!match?.[1] || !match[2]) return null;
  const amount = Number(match[1]);
  return amount > 0 ? amount * UNIT_MS[match[2] as keyof typeof UNIT_MS] : null;
}

/** Roles stored in the database are read back through zod: an unknown name (a newer hub's role) is dropped, never trusted. */
function parseRoles(stored: readonly string[]): Role[] {
  return stored.flatMap((name) => {
    const parsed = Role.safeParse(name);
    return parsed.success ? [parsed.data] : [];
  });
}

function toInfo(row: typeof apiTokens.$inferSelect): TokenInfo {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    roles: parseRoles(row.roles),
    createdAt: row.createdAt,
    expiresAt: row.expiresAt,
    lastUsedAt: row.lastUsedAt,
    revokedAt: row.revokedAt,
  };
}

/** The zod shape of a token's roles as given on the CLI or the API: one or more, no repeats needed. */
export const TokenRoles = z.array(Role).min(1, { error: 'give at least one role' }).max(5);
