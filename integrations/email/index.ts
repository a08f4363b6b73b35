/** Email: monitored mailboxes over IMAP (imapflow, IDLE), parsed with mailparser; the sandbox is a real Dovecot. */
import type { Vendor } from '../types.ts';
import { emailConnector } from './connector.ts';

export const email: Vendor = {
  source: 'email',
  label: 'Email (IMAP)',
  // A mailbox lives on whatever server the organisation uses, named by an admin; IMAP hosts are not
  // http URLs. The one URL setting is the OAuth2 token endpoint, which receives the refresh token
  // and client secret: Google's or Microsoft's, or a host allowed by name (VENDOR_ALLOWED_HOSTS).
  apiDomains: ['oauth2.googleapis.com', 'login.microsoftonline.com'],
  urlSettings: ['oauthTokenUrl'],
  connector: emailConnector,
  sandbox: () => import('./sandbox/launch.ts').then((module) => module.emailSandbox),
};
