/** Email: monitored mailboxes over IMAP (imapflow, IDLE), parsed with mailparser; the sandbox is a real Dovecot. */
import type { Vendor } from '../types.ts';
import { emailConnector } from './connector.ts';

export const email: Vendor = {
  source: 'email',
  label: 'Email (IMAP)',
  // A mailbox lives on whatever server the organisation uses, named by an admin; IMAP hosts are not
  // http URLs, so the vendor-domain allow-list has nothing to check here.
  apiDomains: [],
  urlSettings: [],
  connector: emailConnector,
  sandbox: () => import('./sandbox/launch.ts').then((module) => module.emailSandbox),
};
