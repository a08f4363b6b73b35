/**
 * `tuneloop gdpr erase --email X | --source-id Y [--connection C] | --name N --email X`: erase a data
 * subject everywhere and print the report; `gdpr list`, `gdpr show ID`; `gdpr resume` finishes
 * erasures a kill or a crash left unfinished (running ones included: the person says the old
 * process is gone).
 */
import type { Command } from 'commander';
import { openArtifactStore } from '../../artifacts/index.ts';
import type { Config } from '../../config.ts';
import { findConnection } from '../../connections/store.ts';
import type { OpenedDatabase } from '../../db/open.ts';
import { ErasureRequest } from '../../gdpr/erase.ts';
import { createErasure, getErasure, listErasures, presentErasure } from '../../gdpr/erasures.ts';
import { resumeErasures, runErasure, type ErasureRunDeps } from '../../gdpr/run.ts';
import { startQueue, type Queue } from '../../queue/queue.ts';
import { loadKeyring } from '../../security/encryption.ts';
import { fail, quietLogger, withDatabase } from '../context.ts';

const print = (value: unknown) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);

/** With a queue, so a retraining the erasure starts gets its job. */
async function withRunDeps<T>(database: OpenedDatabase, config: Config, run: (deps: ErasureRunDeps) => Promise<T>): Promise<T> {
  const log = quietLogger(config);
  const queue: Queue = await startQueue({ url: database.url, schema: config.QUEUE_SCHEMA, log });
  try {
    const keyring = loadKeyring({ key: config.TUNELOOP_ENCRYPTION_KEY, previousKeys: config.TUNELOOP_ENCRYPTION_KEYS_PREVIOUS, home: config.TUNELOOP_HOME });
    return await run({ database, store: openArtifactStore(config), log, keyring, queue, config });
  } finally {
    await queue.stop({ timeoutMs: 2_000 });
  }
}

export function registerGdprCommands(program: Command) {
  const gdpr = program.command('gdpr').description('data-subject requests (GDPR/DSGVO)');

  gdpr
    .command('erase')
    .description('erase a person everywhere (database, files, Slack, vendors where possible), block models trained on them, and report every place')
    .option('--email <email>', 'the person\'s email address')
    .option('--name <name>', 'with --email: the person\'s name, also searched for everywhere')
    .option('--source-id <id>', 'the person\'s id at the vendor (e.g. Zendesk user id)')
    .option('--connection <name-or-id>', 'limit --source-id to one connection')
    .action(async (options: { email?: string; name?: string; sourceId?: string; connection?: string }) => {
      await withDatabase(async (database, config) => {
        const connection = options.connection ? await findConnection(database.db, options.connection) : null;
        if (options.connection && !connection) fail(`no connection "${options.connection}"`);
        const request = ErasureRequest.safeParse({ email: options.email, name: options.name, sourceId: options.sourceId, ...(connection ? { connectionId: connection.id } : {}) });
        if (!request.success) fail(`give --email, --name with --email, or --source-id (${request.error.issues[0]?.message ?? 'invalid'})`, 2);
        await withRunDeps(database, config, async (deps) => {
          const row = await createErasure(database.db, deps.keyring, request.data, 'cli');
          process.stderr.write(`erasure ${row.id} started\n`);
          const done = await runErasure(deps, row.id);
          print(presentErasure(done ?? (await getErasure(database.db, row.id)) ?? row));
        });
      });
    });

  gdpr
    .command('list')
    .description('erasures, newest first')
    .action(async () => {
      await withDatabase(async (database) => print((await listErasures(database.db)).map(presentErasure)));
    });

  gdpr
    .command('show <id>')
    .description('one erasure with its report')
    .action(async (id: string) => {
      await withDatabase(async (database) => {
        const row = /^[0-9a-f-]{36}$/i.test(id) ? await getErasure(database.db, id) : null;
        if (!row) fail(`no erasure "${id}"`);
        print(presentErasure(row));
      });
    });

  gdpr
    .command('resume')
    .description('finish erasures left pending, failed or interrupted (run it once the interrupted process is gone)')
    .action(async () => {
      await withDatabase(async (database, config) => {
        await withRunDeps(database, config, async (deps) => print((await resumeErasures(deps, { force: true })).map(presentErasure)));
      });
    });
}
