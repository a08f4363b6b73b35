/** `tuneloop token create|list|revoke`: API tokens with roles and an optional expiry. */
import type { Command } from 'commander';
import { ROLES } from '../auth/roles.ts';
import { createToken, listTokens, parseDuration, revokeToken, TokenRoles } from '../auth/tokens.ts';
import { fail, withDatabase } from './context.ts';

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function registerTokenCommands(program: Command) {
  const token = program.command('token').description('manage API tokens and their roles');

  token
    .command('create')
    .description('create a token and print it once (only its hash is stored)')
    .requiredOption('-n, --name <name>', 'what the token is for, e.g. "ci" or "alice"')
    .requiredOption('-r, --role <role>', `a role the token carries (${ROLES.join(', ')}); repeat for several`, collect)
    .option('--expires-in <duration>', 'refuse the token after this long, e.g. 30d, 12h, 90m, 2w')
    .action(async (options: { name: string; role: string[]; expiresIn?: string }) => {
      const name = options.name.trim();
      if (!name || name.length > 100) fail('--name must be 1 to 100 characters', 2);
      const roles = TokenRoles.safeParse(options.role);
      if (!roles.success) fail(`--role must be one of ${ROLES.join(', ')}`, 2);
      const lifetime = options.expiresIn === undefined ? null : parseDuration(options.expiresIn);
      if (options.expiresIn !== undefined && lifetime === null) fail('--expires-in must be a duration like 30d, 12h, 90m or 2w', 2);
      const expiresAt = lifetime === null ? null : new Date(Date.now() + lifetime);
      const created = await withDatabase(({ db }) => db.transaction((tx) => createToken(tx, name, 'cli', { roles: roles.data, expiresAt })));
      const until = created.info.expiresAt ? `, expires ${created.info.expiresAt.toISOString()}` : '';
      process.stderr.write(`Created token "${created.info.name}" (${created.info.id}; ${created.info.roles.join(', ')}${until}). It is shown only now:\n`);
      process.stdout.write(`${created.token}\n`);
    });

  token
    .command('list')
    .description('list tokens (never their values)')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const tokens = await withDatabase(({ db }) => listTokens(db));
      if (options.json) return void process.stdout.write(`${JSON.stringify(tokens, null, 2)}\n`);
      for (const t of tokens) {
        const expired = t.expiresAt && t.expiresAt.getTime() <= Date.now();
        const state = t.revokedAt
          ? `revoked ${t.revokedAt.toISOString()}`
          : expired
            ? `expired ${t.expiresAt?.toISOString()}`
            : `last used ${t.lastUsedAt?.toISOString() ?? 'never'}${t.expiresAt ? `, expires ${t.expiresAt.toISOString()}` : ''}`;
        process.stdout.write(`${t.id}  ${t.prefix}…  ${t.name}  [${t.roles.join(',')}]  (${state})\n`);
      }
    });

  token
    .command('revoke')
    .description('revoke a token by id or name')
    .argument('<id-or-name>')
    .action(async (idOrName: string) => {
      const count = await withDatabase(({ db }) => db.transaction((tx) => revokeToken(tx, idOrName, 'cli')));
      if (count === 0) fail(`no active token with id or name "${idOrName}"`);
      process.stdout.write(`revoked ${count} token${count === 1 ? '' : 's'}\n`);
    });
}
