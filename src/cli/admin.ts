/** `tuneloop migrate` and `tuneloop config check|docs`. */
import type { Command } from 'commander';
import { settingsMarkdown } from '../config.ts';
import { redactUrl } from '../log.ts';
import { loadCliConfig, withDatabase } from './context.ts';

export function registerAdminCommands(program: Command) {
  program
    .command('migrate')
    .description('apply database migrations (start and worker also do this)')
    .action(async () => {
      await withDatabase(async (database) => {
        process.stdout.write(`migrations applied to ${redactUrl(database.url)}\n`);
      });
    });

  const config = program.command('config').description('inspect settings');
  config
    .command('check')
    .description('validate the environment and .env; exit non-zero on the first bad value')
    .action(() => {
      loadCliConfig();
      process.stdout.write('config ok\n');
    });
  config
    .command('docs')
    .description('print the settings table (Markdown) for the README')
    .action(() => {
      process.stdout.write(`${settingsMarkdown()}\n`);
    });
}
