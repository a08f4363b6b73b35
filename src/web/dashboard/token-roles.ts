/**
 * The roles a token row carries, or null when the token may not be used now (expired, or no role
 * it knows). Sessions read them on every request, so a token's changed roles apply at once.
 */
import { Role } from '../../auth/roles.ts';
import type { apiTokens } from '../../db/schema/index.ts';

export function tokenRoles(row: typeof apiTokens.$inferSelect, now = new Date()): Role[] | null {
  if (row.expiresAt && row.expiresAt.getTime() <= now.getTime()) return null;
  const parsed = Role.array().min(1).safeParse(row.roles);
  return parsed.success ? parsed.data : null;
}
