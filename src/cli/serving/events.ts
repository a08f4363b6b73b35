/**
 * `tuneloop events subscribe URL --events a,b | list | remove ID | deliveries ID`: outgoing signed
 * webhooks. `subscribe` prints the signing secret once; store it with the receiver.
 */
import type { Command } from 'commander';
import { EVENT_TYPES } from '../../events/emit.ts';
import { createSubscription, getSubscription, listDeliveries, listSubscriptions, NewSubscription, removeSubscription } from '../../events/subscriptions.ts';
import { EventUrlError } from '../../events/url-guard.ts';
import { keyringFor } from '../harvest/connections.ts';
import { fail, withDatabase } from '../context.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function registerEventCommands(program: Command) {
  const events = program.command('events').description('outgoing signed webhooks: subscribe, list, remove, deliveries');

  events
    .command('subscribe')
    .description('send events to a URL (signed like Standard Webhooks); prints the signing secret once')
    .argument('<url>', 'http(s) URL that receives POSTs')
    .requiredOption('--events <types>', `comma-separated: ${EVENT_TYPES.join(', ')}`)
    .action(async (url: string, options: { events: string }) => {
      const input = NewSubscription.safeParse({ url, events: options.events.split(',').map((type) => type.trim()).filter(Boolean) });
      if (!input.success) fail(`${input.error.issues[0]?.path.join('.') || 'input'}: ${input.error.issues[0]?.message ?? 'invalid'}`, 2);
      await withDatabase(async (database, config) => {
        try {
          const { subscription, secret } = await createSubscription(database.db, keyringFor(config), input.data, { actor: 'cli', allowPrivate: config.EVENTS_ALLOW_PRIVATE_URLS });
          process.stdout.write(`${subscription.id}  ${subscription.url}  ${subscription.eventTypes.join(',')}\nsigning secret (shown once): ${secret}\n`);
        } catch (error) {
          if (error instanceof EventUrlError) fail(error.message, 2);
          throw error;
        }
      });
    });

  events
    .command('list')
    .description('event subscriptions')
    .action(async () => {
      await withDatabase(async (database) => {
        const rows = await listSubscriptions(database.db);
        if (!rows.length) process.stdout.write('no event subscriptions\n');
        for (const row of rows) process.stdout.write(`${row.id}  ${row.active ? 'active  ' : 'inactive'}  ${row.url}  ${row.eventTypes.join(',')}\n`);
      });
    });

  events
    .command('remove')
    .description('delete a subscription and its pending deliveries')
    .argument('<id>', 'subscription id')
    .action(async (id: string) => {
      await withDatabase(async (database) => {
        if (!UUID.test(id) || !(await removeSubscription(database.db, id, 'cli'))) fail(`no event subscription ${id}`);
        process.stdout.write(`removed ${id}\n`);
      });
    });

  events
    .command('deliveries')
    .description("a subscription's recent deliveries, newest first")
    .argument('<id>', 'subscription id')
    .option('--limit <n>', 'how many', '50')
    .action(async (id: string, options: { limit: string }) => {
      const limit = Number(options.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 500) fail('--limit: a whole number from 1 to 500', 2);
      await withDatabase(async (database) => {
        if (!UUID.test(id) || !(await getSubscription(database.db, id))) fail(`no event subscription ${id}`);
        for (const row of await listDeliveries(database.db, id, limit)) {
          const outcome = row.status === 'delivered' ? `HTTP ${row.lastStatus}` : (row.lastError ?? '');
          process.stdout.write(`${row.id}  ${row.createdAt.toISOString()}  ${row.eventType.padEnd(19)} ${row.status.padEnd(9)} attempts ${row.attempts}  ${outcome}\n`);
        }
      });
    });
}
