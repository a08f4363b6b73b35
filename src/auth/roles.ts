/**
 * Who may do what, by role: the same names on the REST API, the CLI, the dashboard and the Slack
 * app. `admin` holds every role; `operator` and `compliance` each include `viewer`.
 */
import { z } from 'zod';

export const ROLES = ['admin', 'operator', 'compliance', 'viewer', 'inference'] as const;
export type Role = (typeof ROLES)[number];
export const Role = z.enum(ROLES);

export const ROLE_DESCRIPTIONS: Record<Role, string> = {
  admin: 'tokens, connections, settings, GDPR erasure, and everything the other roles may do',
  operator: 'harvests, datasets, training, evaluation, promote and rollback, drafts',
  compliance: 'compliance alerts and their actions, the audit log, reviews',
  viewer: 'read-only',
  inference: 'calling the models it is allowed to use',
};

const INCLUDES: Record<Role, readonly Role[]> = {
  admin: ROLES,
  operator: ['operator', 'viewer'],
  compliance: ['compliance', 'viewer'],
  viewer: ['viewer'],
  inference: ['inference'],
};

/** Whether someone holding `held` may act where `needed` is required. */
export function allows(held: Iterable<Role>, needed: Role): boolean {
  for (const role of held) if (INCLUDES[role].includes(needed)) return true;
  return false;
}
