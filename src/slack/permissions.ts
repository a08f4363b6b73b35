/**
 * Who may do what in the Slack app: roles granted to Slack users and user groups, from the
 * SLACK_GRANTS setting and the `slack_grants` table (`tuneloop slack grant`, the REST API). A
 * group's members come from usergroups.users.list, cached for a minute per process. A refusal is
 * audited and tells the person which role they need.
 */
import { and, eq } from 'drizzle-orm';
import type { SlackAppClient } from '../../integrations/types.ts';
import { recordAudit } from '../audit.ts';
import { allows, type Role } from '../auth/roles.ts';
import type { Config } from '../config.ts';
import type { Tx } from '../db/client.ts';
import { slackGrants } from '../db/schema/index.ts';

export type GrantableRole = Exclude<Role, 'inference'>;
export const GRANTABLE_ROLES: readonly GrantableRole[] = ['admin', 'operator', 'compliance', 'viewer'];

export interface Grant {
  subject: string;
  role: GrantableRole;
  source: 'setting' | 'granted';
}

const GROUP_CACHE_MS = 60_000;

/** SLACK_GRANTS ("admin=U0123;operator=S0456,U0789") as grants. */
export function grantsFromSetting(setting: string | undefined): Grant[] {
  if (!setting) return [];
  return setting
    .split(';')
    .map((part) => part.trim())
    .filter(Boolean)
    .flatMap((part) => {
      const [role = '', subjects = ''] = part.split('=').map((piece) => piece.trim());
      return subjects
        .split(',')
        .map((subject) => subject.trim())
        .filter(Boolean)
        .map((subject) => ({ subject, role: role as GrantableRole, source: 'setting' as const }));
    });
}

export async function listGrants(db: Tx, config: Pick<Config, 'SLACK_GRANTS'>): Promise<Grant[]> {
  const rows = await db.select().from(slackGrants).orderBy(slackGrants.subject, slackGrants.role);
  return [...grantsFromSetting(config.SLACK_GRANTS), ...rows.map((row) => ({ subject: row.subject, role: row.role, source: 'granted' as const }))];
}

export class GrantInputError extends Error {
  override name = 'GrantInputError';
}

const SUBJECT = /^[UWS][A-Z0-9]{2,}$/;

export async function grant(db: Tx, subject: string, role: string, actor: string): Promise<void> {
  if (!SUBJECT.test(subject)) throw new GrantInputError(`"${subject}" is not a Slack user id (U…, W…) or user group id (S…)`);
  if (!GRANTABLE_ROLES.includes(role as GrantableRole)) throw new GrantInputError(`"${role}" is not a role; roles: ${GRANTABLE_ROLES.join(', ')}`);
  await db.insert(slackGrants).values({ subject, role: role as GrantableRole, grantedBy: actor }).onConflictDoNothing();
  await recordAudit(db, { actor, action: 'slack.granted', subjectType: 'slack_subject', subjectId: subject, details: { role } });
}

/** Removes one role of a subject, or every role with `all`; returns how many went. */
export async function revoke(db: Tx, subject: string, role: string, actor: string): Promise<number> {
  const which = role === 'all' ? eq(slackGrants.subject, subject) : and(eq(slackGrants.subject, subject), eq(slackGrants.role, role as GrantableRole));
  const gone = await db.delete(slackGrants).where(which).returning({ role: slackGrants.role });
  if (gone.length) await recordAudit(db, { actor, action: 'slack.revoked', subjectType: 'slack_subject', subjectId: subject, details: { roles: gone.map((row) => row.role) } });
  return gone.length;
}

/** Roles of Slack users, resolving user groups through Slack (cached). */
export class SlackPermissions {
  private readonly groups = new Map<string, { members: Set<string>; until: number }>();

  constructor(
    private readonly db: Tx,
    private readonly config: Pick<Config, 'SLACK_GRANTS'>,
    private readonly now: () => number = Date.now,
  ) {}

  async rolesOf(userId: string, slack: SlackAppClient): Promise<Set<GrantableRole>> {
    const roles = new Set<GrantableRole>();
    for (const entry of await listGrants(this.db, this.config)) {
      if (entry.subject === userId || (entry.subject.startsWith('S') && (await this.members(entry.subject, slack)).has(userId))) roles.add(entry.role);
    }
    return roles;
  }

  async may(userId: string, needed: Role, slack: SlackAppClient): Promise<boolean> {
    return allows(await this.rolesOf(userId, slack), needed);
  }

  private async members(groupId: string, slack: SlackAppClient): Promise<Set<string>> {
    const cached = this.groups.get(groupId);
    if (cached && cached.until > this.now()) return cached.members;
    const members = new Set(await slack.userGroupMembers(groupId));
    this.groups.set(groupId, { members, until: this.now() + GROUP_CACHE_MS });
    return members;
  }
}

/** The ephemeral answer to someone without the role, and the audit record of the refusal. */
export async function refuse(db: Tx, userId: string, needed: Role, what: string): Promise<{ text: string }> {
  await recordAudit(db, { actor: `slack:${userId}`, action: 'slack.refused', subjectType: 'slack_user', subjectId: userId, details: { needed, what } });
  return { text: `You need the *${needed}* role for ${what}. An admin can grant it: \`tuneloop slack grant ${userId} ${needed}\`.` };
}
