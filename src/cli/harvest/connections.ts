/** `tuneloop connections add|list|show|test|remove|rekey`. Credentials are never printed. */
import type { Command } from 'commander';
import { ConnectionInputError, connectorFor, createConnection, deleteConnection, findConnection, listConnections, publicConnection } from '../../connections/store.ts';
import { loadKeyring } from '../../security/encryption.ts';
import { describeReseal, resealAll, unreadableCount } from '../../security/reseal-all.ts';
import type { Config } from '../../config.ts';
import { fail, withDatabase, readJsonObject } from '../context.ts';

export function keyringFor(config: Config) {
  return loadKeyring({ key: config.TUNELOOP_ENCRYPTION_KEY, previousKeys: config.TUNELOOP_ENCRYPTION_KEYS_PREVIOUS, home: config.TUNELOOP_HOME });
}

/** `key=value` pairs; values that look like numbers or booleans stay strings unless the schema coerces. */
function collectPairs(value: string, previous: Record<string, string>): Record<string, string> {
  const index = value.indexOf('=');
  if (index < 1) fail(`expected key=value, got "${value.includes('=') ? '=…' : value}"`, 2);
  return { ...previous, [value.slice(0, index)]: value.slice(index + 1) };
}

/** Whole numbers become numbers, true/false booleans (`tls=false`), and JSON lists/objects (`channels=["C1","C2"]`) are parsed; the rest stays text. */
function settingValue(raw: string): unknown {
  if (/^\d+$/.test(raw)) return Number(raw);
  if (raw === 'true' || raw === 'false') return raw === 'true';
  if (/^[[{]/.test(raw)) {
    try {
      return JSON.parse(raw);
    } catch {
      fail(`setting value ${raw.slice(0, 40)} looks like JSON but does not parse`, 2);
    }
  }
  return raw;
}

export function registerConnectionCommands(program: Command) {
  const connections = program.command('connections').description('vendor accounts to harvest from (Zendesk, Salesforce, …)');

  connections
    .command('add')
    .description('add a connection; credentials are encrypted at rest and never shown again')
    .requiredOption('--vendor <vendor>', 'zendesk | salesforce | hubspot | slack | intercom')
    .requiredOption('--name <name>', 'a unique name, e.g. zendesk-eu')
    .option('--setting <key=value>', 'a setting (repeatable), e.g. subdomain=acme, baseUrl=http://127.0.0.1:4010, channels=["C123"]', collectPairs, {})
    .option('--credential <key=value>', 'a credential field (repeatable), e.g. type=api_token', collectPairs, {})
    .option('--credentials-file <path>', 'credentials as a JSON object (keeps secrets out of shell history)')
    .option('--schedule <cron>', 'harvest on a schedule, e.g. "*/15 * * * *"')
    .action(async (options: { vendor: string; name: string; setting: Record<string, string>; credential: Record<string, string>; credentialsFile?: string; schedule?: string }) => {
      const credentials = { ...(options.credentialsFile ? readJsonObject(options.credentialsFile) : {}), ...options.credential };
      const settings: Record<string, unknown> = Object.fromEntries(Object.entries(options.setting).map(([k, v]) => [k, settingValue(v)]));
      await withDatabase(async ({ db }, config) => {
        try {
          const row = await db.transaction((tx) =>
            createConnection(tx, keyringFor(config), { vendor: options.vendor, name: options.name, settings, credentials, schedule: options.schedule ?? null }, 'cli', { allowedHosts: config.VENDOR_ALLOWED_HOSTS }),
          );
          process.stdout.write(`added ${row.vendor} connection "${row.name}" (${row.id})\n`);
        } catch (error) {
          if (error instanceof ConnectionInputError) fail(error.message, 2);
          throw error;
        }
      });
    });

  connections
    .command('list')
    .description('list connections (without credentials)')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      await withDatabase(async ({ db }, config) => {
        const rows = (await listConnections(db)).map((row) => publicConnection(row, keyringFor(config)));
        if (options.json) return void process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
        if (!rows.length) process.stdout.write('no connections yet: tuneloop connections add --help\n');
        for (const row of rows) process.stdout.write(`${row.id}  ${row.vendor.padEnd(10)} ${row.name}${row.schedule ? `  (schedule ${row.schedule})` : ''}\n`);
      });
    });

  connections
    .command('test')
    .description('call the vendor once and report whether the connection works (changes nothing)')
    .argument('<id-or-name>')
    .action(async (idOrName: string) => {
      const result = await withDatabase(async ({ db }, config) => {
        const row = await findConnection(db, idOrName);
        if (!row) fail(`no connection "${idOrName}"`);
        return connectorFor(db, keyringFor(config), row).test();
      });
      process.stdout.write(`${result.ok ? 'ok' : 'failed'}: ${result.detail}\n`);
      if (!result.ok) process.exitCode = 1;
    });

  connections
    .command('remove')
    .description('remove a connection and everything harvested from it')
    .argument('<id-or-name>')
    .action(async (idOrName: string) => {
      await withDatabase(async ({ db }) => {
        const row = await findConnection(db, idOrName);
        if (!row) fail(`no connection "${idOrName}"`);
        await db.transaction((tx) => deleteConnection(tx, row, 'cli'));
        process.stdout.write(`removed "${row.name}"\n`);
      });
    });

  connections
    .command('rekey')
    .description('re-encrypt all credentials, webhook secrets, event subscription secrets and erasure work with TUNELOOP_ENCRYPTION_KEY (old keys in TUNELOOP_ENCRYPTION_KEYS_PREVIOUS), each bound to its row')
    .action(async () => {
      const result = await withDatabase(({ db }, config) => resealAll(db, keyringFor(config), 'cli'));
      process.stdout.write(`${describeReseal(result)}\n`);
      // A value no configured key opens stays as it was; its user fails with a reason until fixed.
      if (unreadableCount(result) > 0) process.exitCode = 1;
    });
}
