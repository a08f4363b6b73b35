/** `tuneloop gdpr erase --email X | --source-id Y`: erase a data subject everywhere and print what was removed. */
import type { Command } from 'commander';
import { openArtifactStore } from '../../artifacts/index.ts';
import { findConnection } from '../../connections/store.ts';
import { ErasureRequest, eraseSubject } from '../../gdpr/erase.ts';
import { fail, quietLogger, withDatabase } from '../context.ts';

export function registerGdprCommands(program: Command) {
  const gdpr = program.command('gdpr').description('data-subject requests (GDPR/DSGVO)');

  gdpr
    .command('erase')
    .description('delete a person\'s conversations and messages, replace every dataset version that held them, and audit it')
    .option('--email <email>', 'the person\'s email address')
    .option('--source-id <id>', 'the person\'s id at the vendor (e.g. Zendesk user id)')
    .option('--connection <name-or-id>', 'limit --source-id to one connection')
    .action(async (options: { email?: string; sourceId?: string; connection?: string }) => {
      await withDatabase(async (database, config) => {
        const connection = options.connection ? await findConnection(database.db, options.connection) : null;
        if (options.connection && !connection) fail(`no connection "${options.connection}"`);
        const request = ErasureRequest.safeParse({ email: options.email, sourceId: options.sourceId, ...(connection ? { connectionId: connection.id } : {}) });
        if (!request.success) fail(`give exactly one of --email or --source-id (${request.error.issues[0]?.message ?? 'invalid'})`, 2);
        const report = await eraseSubject({ database, store: openArtifactStore(config), log: quietLogger(config), home: config.TUNELOOP_HOME }, request.data, 'cli');
        process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      });
    });
}
