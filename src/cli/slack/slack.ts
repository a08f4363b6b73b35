/**
 * `tuneloop slack manifest [--socket] [--url https://…]`: the app manifest to paste when creating
 * the Slack app; `tuneloop slack grant|revoke|grants`: who has which role in the Slack app.
 */
import type { Command } from 'commander';
import { z } from 'zod';
import { slackManifest } from '../../../integrations/registry.ts';
import { grant, GrantInputError, GRANTABLE_ROLES, listGrants, revoke } from '../../slack/permissions.ts';
import { fail, withDatabase } from '../context.ts';

const PublicUrl = z.url({ protocol: /^https$/, error: 'must be the hub’s public https URL, e.g. https://hub.example.com' });

export function registerSlackCommands(program: Command) {
  const slack = program.command('slack').description('the Slack app: its manifest, and who may do what in it');

  slack
    .command('manifest')
    .description('print the Slack app manifest (YAML) to paste at api.slack.com/apps → Create New App → From a manifest')
    .option('--socket', 'Socket Mode: no public URL needed (set SLACK_APP_TOKEN)')
    .option('--url <url>', 'the hub’s public https URL (HTTP mode): Slack calls <url>/slack/events')
    .action((options: { socket?: boolean; url?: string }) => {
      if (!options.socket && !options.url) fail('give --url https://your-hub (HTTP mode) or --socket (Socket Mode)', 2);
      if (options.url) {
        const url = PublicUrl.safeParse(options.url);
        if (!url.success) fail(`--url ${url.error.issues[0]?.message ?? 'invalid'}`, 2);
      }
      process.stdout.write(slackManifest({ socketMode: Boolean(options.socket), ...(options.url ? { url: options.url } : {}) }));
    });

  slack
    .command('grant')
    .description(`give a Slack user (U…) or user group (S…) a role: ${GRANTABLE_ROLES.join(', ')}`)
    .argument('<subject>', 'Slack user id (U…, W…) or user group id (S…)')
    .argument('<role>', GRANTABLE_ROLES.join(' | '))
    .action(async (subject: string, role: string) => {
      await withDatabase(async ({ db }) => {
        try {
          await grant(db, subject, role, 'cli');
        } catch (error) {
          if (error instanceof GrantInputError) fail(error.message, 2);
          throw error;
        }
        process.stdout.write(`${subject} has the ${role} role in the Slack app\n`);
      });
    });

  slack
    .command('revoke')
    .description('take a role (or all of them) back from a Slack user or user group')
    .argument('<subject>')
    .argument('<role>', `${GRANTABLE_ROLES.join(' | ')} | all`)
    .action(async (subject: string, role: string) => {
      await withDatabase(async ({ db }) => {
        const removed = await revoke(db, subject, role, 'cli');
        process.stdout.write(removed ? `revoked ${removed} role(s) of ${subject}\n` : `${subject} had no such role granted (roles from SLACK_GRANTS change with the setting)\n`);
      });
    });

  slack
    .command('grants')
    .description('list who has which role in the Slack app')
    .option('--json', 'as JSON')
    .action(async (options: { json?: boolean }) => {
      await withDatabase(async ({ db }, config) => {
        const grants = await listGrants(db, config);
        if (options.json) return void process.stdout.write(`${JSON.stringify(grants, null, 2)}\n`);
        if (!grants.length) return void process.stdout.write('nobody has a role yet: tuneloop slack grant <U…|S…> <role>\n');
        for (const entry of grants) process.stdout.write(`${entry.subject}\t${entry.role}\t${entry.source === 'setting' ? '(SLACK_GRANTS)' : ''}\n`);
      });
    });
}
