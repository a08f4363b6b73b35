/**
 * Dashboard sessions, stored server-side: the cookie carries 32 random bytes, the table their
 * SHA-256, the token they act for, a CSRF token and an absolute expiry. A session is only as good as
 * its token: a revoked token ends every session opened with it.
 */
import { createHash, randomBytes } from 'node:crypto';
import { and, eq, gt, isNull, lt } from 'drizzle-orm';
import type { TokenInfo } from '../../auth/tokens.ts';
import type { Tx } from '../../db/client.ts';
import { apiTokens, dashboardSessions } from '../../db/schema/index.ts';
import { tokenRoles } from './token-roles.ts';

export interface DashboardSession {
  id: string;
  csrf: string;
  expiresAt: Date;
  token: TokenInfo;
}

const SESSION_PATTERN = /^[A-Za-z0-9_-]{43}$/;
const digest = (value: string) => createHash('sha256').update(value).digest('hex');

/** Opens a session for a verified token; returns the cookie value (shown to nobody else). */
export async function openSession(db: Tx, tokenId: string, ttlMinutes: number): Promise<{ cookie: string; expiresAt: Date }> {
  const cookie = randomBytes(32).toString('base64url');
  const expiresAt = new Date(Date.now() + ttlMinutes * 60_000);
  await db.insert(dashboardSessions).values({ hash: digest(cookie), tokenId, csrf: randomBytes(32).toString('base64url'), expiresAt });
  // Expired rows of anyone are swept at log-in, so the table stays small without a job.
  await db.delete(dashboardSessions).where(lt(dashboardSessions.expiresAt, new Date()));
  return { cookie, expiresAt };
}

/** The live session behind a cookie value: not expired, its token not revoked. Null otherwise. */
export async function findSession(db: Tx, cookie: string | undefined): Promise<DashboardSession | null> {
  if (!cookie || !SESSION_PATTERN.test(cookie)) return null;
  const [row] = await db
    .select({ session: dashboardSessions, token: apiTokens })
    .from(dashboardSessions)
    .innerJoin(apiTokens, eq(apiTokens.id, dashboardSessions.tokenId))
    .where(and(eq(dashboardSessions.hash, digest(cookie)), gt(dashboardSessions.expiresAt, new Date()), isNull(apiTokens.revokedAt)))
    .limit(1);
  if (!row) return null;
  const roles = tokenRoles(row.token);
  if (!roles) return null;
  const { id, name, prefix, createdAt, expiresAt, lastUsedAt, revokedAt } = row.token;
  return { id: row.session.id, csrf: row.session.csrf, expiresAt: row.session.expiresAt, token: { id, name, prefix, roles, createdAt, expiresAt, lastUsedAt, revokedAt } };
}

export async function closeSession(db: Tx, id: string): Promise<void> {
  await db.delete(dashboardSessions).where(eq(dashboardSessions.id, id));
}
