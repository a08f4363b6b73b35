/** Mailboxes over IMAP as a connector: harvest by UID cursor, a connection test, and a live IDLE watch. */
import type { ConnectorFactory } from '../types.ts';
import { classifyImapError, closeImap } from './client.ts';
import { harvestMailbox } from './harvest.ts';
import { connectMailbox, MailboxLogin } from './oauth.ts';
import { EmailCredentials, EmailSettings } from './settings.ts';
import { watchMailbox } from './watch.ts';

export const emailConnector: ConnectorFactory<typeof EmailSettings, typeof EmailCredentials> = {
  source: 'email',
  settingsSchema: EmailSettings,
  credentialsSchema: EmailCredentials,
  create(settings, credentials, options = {}) {
    // One login per connector: a token renewed by the harvest is the one the watch uses next.
    const login = new MailboxLogin(credentials, settings, options.onCredentialsRefreshed, options.log);
    return {
      source: 'email',
      harvest: (cursor, ctx = {}) => harvestMailbox(settings, login, cursor, { batchSize: options.batchSize ?? 100, signal: ctx.signal, log: ctx.log ?? options.log }),
      async test() {
        let client;
        try {
          client = await connectMailbox(settings, login);
          const status = await client.status(settings.mailbox, { messages: true, uidValidity: true });
          return { ok: true, detail: `logged in to ${settings.host} as ${credentials.username}; ${settings.mailbox} holds ${status ? (status.messages ?? 0) : 0} messages` };
        } catch (error) {
          return { ok: false, detail: classifyImapError(error, settings).message };
        } finally {
          if (client) await closeImap(client);
        }
      },
      watch: (onChange, ctx) => watchMailbox(settings, login, onChange, { ...ctx, log: ctx.log ?? options.log }),
    };
  },
};
