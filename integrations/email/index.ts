/** Email: monitored mailboxes over IMAP (imapflow, IDLE), parsed with mailparser; the sandbox is a real Dovecot. */
import type { Vendor } from '../types.ts';
import { emailConnector } from './connector.ts';

export const email: Vendor = {
  source: 'email',
  label: 'Email (IMAP)',
  connector: emailConnector,
  sandbox: () => import('./sandbox/launch.ts').then((module) => module.emailSandbox),
};
