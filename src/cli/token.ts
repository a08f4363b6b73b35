/** `tuneloop token create|list|revoke`: admin API tokens. */
import type { Command } from 'commander';
import { createToken, listTokens, revokeToken } from '../auth/tokens.ts';
import { fail, withDatabase } from './context.ts';

export function registerTokenCommands(program: Command) {
  const token = program.command('token').description('manage admin API tokens');

  token
    .command('create')
    .description('create a token and print it once (only its hash is stored)')
    .requiredOption('-n, --name <name>', 'what the token is for, e.g. "ci" or "alice"')
    .action(async (options: { name: string }) => {
      const name = options.name.trim();
      if (!name || name.length > 100) fail('--name must be 1 to 100 characters', 2);
      const created = await withDatabase(({ db }) => db.transaction((tx) => createToken(tx, name, 'cli')));
      process.stderr.write(`Created token "${created.info.name}" (${created.info.id}). It is shown only now:\n`);
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
        const state = t.revokedAt ? `revoked ${t.revokedAt.toISOString()}` : `last used ${t.lastUsedAt?.toISOString() ?? 'never'}`;
        process.stdout.write(`${t.id}  ${t.prefix}…  ${t.name}  (${state})\n`);
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
