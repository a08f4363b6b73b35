/**
 * `tuneloop zendesk install|secret` and `tuneloop webhooks secret`: set up inbound webhooks.
 * - zendesk install CONNECTION --url https://hub.example.com: creates (or finds) the Zendesk webhook
 *   and trigger through the Zendesk API and stores the webhook's signing secret, sealed;
 *   `--print` prints the same setup as manual Admin Center steps and calls nothing.
 * - zendesk secret CONNECTION / webhooks secret CONNECTION: stores a signing secret read from stdin
 *   (Zendesk's, HubSpot's app client secret), or `--generate`s one for Salesforce callouts.
 * Secrets are read from stdin, never from arguments (shell history, ps).
 */
import type { Command } from 'commander';
import { z } from 'zod';
import { VENDORS, WEBHOOK_SOURCES } from '../../../integrations/registry.ts';
import { findConnection, type ConnectionRow } from '../../connections/store.ts';
import type { Tx } from '../../db/client.ts';
import { decryptJson } from '../../security/encryption.ts';
import { credentialsPlace } from '../../connections/open.ts';
import { generateSecret, saveEndpoint } from '../../webhooks/secrets.ts';
import { keyringFor } from './connections.ts';
import { fail, withDatabase } from '../context.ts';

const HubUrl = z.url({ protocol: /^https?$/, error: 'must be the hub’s public http(s) URL, e.g. https://hub.example.com' });

async function load(db: Tx, idOrName: string, vendors: readonly string[]): Promise<ConnectionRow> {
  const row = await findConnection(db, idOrName);
  if (!row) fail(`no connection "${idOrName}"`);
  if (!vendors.includes(row.vendor)) fail(`connection "${row.name}" is a ${row.vendor} connection; expected ${vendors.join(' or ')}`, 2);
  return row;
}

async function readStdinSecret(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write('paste the secret, then press Enter and Ctrl-D: ');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const secret = Buffer.concat(chunks).toString('utf8').trim();
  if (secret.length < 16 || /\s/.test(secret)) fail('expected one secret of at least 16 characters on stdin', 2);
  return secret;
}

export function registerZendeskCommands(program: Command) {
  const zendesk = program.command('zendesk').description('Zendesk webhook set-up');

  zendesk
    .command('install')
    .description('create (or reuse) the Zendesk webhook and trigger that notify tuneloop of end-user tickets and comments')
    .argument('<connection>', 'a zendesk connection, by id or name')
    .requiredOption('--url <url>', 'the hub’s public base URL, e.g. https://hub.example.com')
    .option('--print', 'print the manual Admin Center steps instead of calling Zendesk')
    .action(async (idOrName: string, options: { url: string; print?: boolean }) => {
      const hubUrl = HubUrl.safeParse(options.url);
      if (!hubUrl.success) fail(`--url ${hubUrl.error.issues[0]?.message ?? 'invalid'}`, 2);
      await withDatabase(async ({ db }, config) => {
        const row = await load(db, idOrName, ['zendesk']);
        const installer = VENDORS.zendesk.webhookInstaller;
        if (!installer) fail('this build has no Zendesk webhook installer');
        if (options.print) return void process.stdout.write(installer.manualSteps(hubUrl.data, row.id, row.name));
        const keyring = keyringFor(config);
        const result = await installer.install(row.settings, decryptJson(keyring, row.credentialsEncrypted, credentialsPlace(row.id)), { hubUrl: hubUrl.data, connectionId: row.id, connectionName: row.name });
        await db.transaction((tx) =>
          saveEndpoint(tx, keyring, { connectionId: row.id, secret: result.secret, vendorWebhookId: result.webhookId, vendorTriggerId: result.triggerId }, 'cli'),
        );
        process.stdout.write(
          `webhook ${result.webhookId} ${result.createdWebhook ? 'created' : 'already there, reused'}\n` +
            `trigger ${result.triggerId} ${result.createdTrigger ? 'created' : 'already there, reused'}\n` +
            `signing secret stored (encrypted); Zendesk will POST to ${result.endpoint}\n`,
        );
      });
    });

  zendesk
    .command('secret')
    .description('store a Zendesk webhook signing secret read from stdin (after a manual set-up)')
    .argument('<connection>')
    .action(async (idOrName: string) => {
      const secret = await readStdinSecret();
      await withDatabase(async ({ db }, config) => {
        const row = await load(db, idOrName, ['zendesk']);
        await db.transaction((tx) => saveEndpoint(tx, keyringFor(config), { connectionId: row.id, secret }, 'cli'));
        process.stdout.write(`signing secret stored for ${row.name}\n`);
      });
    });

  program
    .command('webhooks')
    .description('inbound webhook secrets')
    .command('secret')
    .description('store a connection’s webhook secret from stdin (HubSpot: the app’s client secret), or --generate one (Salesforce)')
    .argument('<connection>')
    .option('--generate', 'generate a random secret, store it and print it once (for the Salesforce Named Credential)')
    .action(async (idOrName: string, options: { generate?: boolean }) => {
      const secret = options.generate ? generateSecret() : await readStdinSecret();
      await withDatabase(async ({ db }, config) => {
        const row = await load(db, idOrName, WEBHOOK_SOURCES);
        await db.transaction((tx) => saveEndpoint(tx, keyringFor(config), { connectionId: row.id, secret }, 'cli'));
        process.stdout.write(options.generate ? `${secret}\n` : `webhook secret stored for ${row.name}\n`);
        process.stderr.write(`webhook URL path: /webhooks/${row.vendor}/${row.id}\n`);
      });
    });
}
