/**
 * An imapflow client for one mailbox connection, and what its errors mean to a person: wrong
 * credentials, TLS, an unreachable server, a mailbox that is gone.
 * https://imapflow.com/module-imapflow-ImapFlow.html
 */
import { ImapFlow } from 'imapflow';
import type { VendorLogger } from '../types.ts';
import type { EmailCredentials, EmailSettings } from './settings.ts';

export function openImap(settings: EmailSettings, credentials: EmailCredentials): ImapFlow {
  return new ImapFlow({
    host: settings.host,
    port: settings.port ?? (settings.tls ? 993 : 143),
    secure: settings.tls,
    auth: credentials.type === 'password' ? { user: credentials.username, pass: credentials.password } : { user: credentials.username, accessToken: credentials.accessToken },
    tls: { rejectUnauthorized: settings.verifyCertificate },
    // imapflow's own logger would print every command; the hub logs what matters itself.
    logger: false,
    connectionTimeout: 15_000,
    greetingTimeout: 10_000,
  });
}

export type ImapFailure = 'auth' | 'tls' | 'network' | 'mailbox_missing' | 'other';

export class EmailError extends Error {
  override name = 'EmailError';
  constructor(
    readonly kind: ImapFailure,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const field = (error: unknown, key: string): unknown => (typeof error === 'object' && error !== null && key in error ? (error as Record<string, unknown>)[key] : undefined);

/** Turns what imapflow or the socket threw into an EmailError that says which of the usual causes it is. */
export function classifyImapError(error: unknown, settings: Pick<EmailSettings, 'host' | 'mailbox'>): EmailError {
  if (error instanceof EmailError) return error;
  const code = String(field(error, 'code') ?? '');
  const text = String(field(error, 'responseText') ?? (error instanceof Error ? error.message : String(error)));
  if (/temporary authentication failure/i.test(text)) return new EmailError('other', `the IMAP server could not check the login right now (its own authentication backend failed): ${text}`, { cause: error });
  if (field(error, 'authenticationFailed') === true || code === 'AUTHENTICATIONFAILED' || /authenticat/i.test(text)) {
    return new EmailError('auth', `the IMAP server refused the login (wrong username, password or token): ${text}`, { cause: error });
  }
  if (/^ERR_SSL|^ERR_TLS|EPROTO|CERT|SELF_SIGNED|UNABLE_TO_VERIFY/.test(code) || /ssl|tls|certificate/i.test(text)) {
    return new EmailError('tls', `TLS with ${settings.host} failed (${code || text}): check the port, the tls setting and the server's certificate`, { cause: error });
  }
  if (/^(ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ETIMEDOUT|ECONNRESET|EAI_AGAIN|NoConnection)$/.test(code) || /timeout/i.test(text)) {
    return new EmailError('network', `cannot reach the IMAP server ${settings.host} (${code || text})`, { cause: error });
  }
  if (field(error, 'serverResponseCode') === 'NONEXISTENT' || /doesn't exist|does not exist|no such mailbox|nonexistent/i.test(text)) {
    return new EmailError('mailbox_missing', `the mailbox "${settings.mailbox}" does not exist (any more) on ${settings.host}`, { cause: error });
  }
  return new EmailError('other', `IMAP error: ${text}`, { cause: error });
}

/** Closes without waiting on a server that may be gone. */
export async function closeImap(client: ImapFlow, log?: VendorLogger): Promise<void> {
  try {
    if (client.usable) await client.logout();
    else client.close();
  } catch (error) {
    log?.debug({ reason: error instanceof Error ? error.message : String(error) }, 'IMAP logout failed; connection dropped');
    client.close();
  }
}
