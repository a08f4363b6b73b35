/**
 * The roles a token row carries, or null when the token may not be used now (expired). Tokens made
 * before roles existed are admin tokens (issue 17: "existing tokens become admin on migration").
 */
import { Role } from '../../auth/roles.ts';
import type { apiTokens } from '../../db/schema/index.ts';

type TokenRow = typeof apiTokens.$inferSelect & { roles?: unknown; expiresAt?: Date | null };

export function tokenRoles(row: TokenRow): Role[] | null {
  if (row.expiresAt && row.expiresAt.getTime() <= Date.now()) return null;
  if (row.roles === undefined) return ['admin'];
  const parsed = Role.array().min(1).safeParse(row.roles);
  return parsed.success ? parsed.data : null;
}
