/**
 * OAuth2 mailboxes whose access token runs out (Gmail, Microsoft 365: about an hour): the login
 * renews it with the refresh token at the provider's token endpoint (RFC 6749 §6, form-encoded
 * POST) a minute before it expires, or when the IMAP server refuses it, then logs in again once.
 * The renewed credentials go to `onRefreshed` (the hub seals them and stores them on the
 * connection, like every other credential). A refusal to renew (revoked or expired refresh token:
 * `invalid_grant`) is an `auth` failure naming the provider's reason: the harvest fails with it,
 * which is the connection's state in the API, until someone signs in to the mailbox again.
 */
import type { ImapFlow } from 'imapflow';
import { z } from 'zod';
import type { VendorLogger } from '../types.ts';
import { classifyImapError, closeImap, EmailError, openImap } from './client.ts';
import type { EmailCredentials, EmailSettings } from './settings.ts';

/** Renew this long before the stated expiry, so a login never starts with a token about to lapse. */
const REFRESH_MARGIN_MS = 60_000;
const TOKEN_TIMEOUT_MS = 30_000;

// https://www.rfc-editor.org/rfc/rfc6749#section-5.1 and #section-5.2
const TokenAnswer = z.object({ access_token: z.string().min(1).max(8192), expires_in: z.coerce.number().positive().optional(), refresh_token: z.string().min(1).max(8192).optional() });
const TokenError = z.object({ error: z.string().max(200), error_description: z.string().max(500).optional() });

export class MailboxLogin {
  private renewing: Promise<void> | null = null;

  constructor(
    private credentials: EmailCredentials,
    private readonly settings: Pick<EmailSettings, 'oauthTokenUrl' | 'host'>,
    private readonly onRefreshed?: (credentials: Record<string, unknown>) => Promise<void>,
    private readonly log?: VendorLogger,
  ) {}

  get current(): EmailCredentials {
    return this.credentials;
  }

  get canRefresh(): boolean {
    const c = this.credentials;
    return c.type === 'oauth2' && Boolean(c.refreshToken && c.clientId && this.settings.oauthTokenUrl);
  }

  expiresSoon(now = Date.now()): boolean {
    const c = this.credentials;
    return c.type === 'oauth2' && c.expiresAt !== undefined && Date.parse(c.expiresAt) - now < REFRESH_MARGIN_MS;
  }

  /** One renewal at a time: concurrent callers wait for the same one. */
  refresh(signal?: AbortSignal): Promise<void> {
    this.renewing ??= this.renew(signal).finally(() => {
      this.renewing = null;
    });
    return this.renewing;
  }

  private async renew(signal?: AbortSignal): Promise<void> {
    const c = this.credentials;
    const url = this.settings.oauthTokenUrl;
    if (c.type !== 'oauth2' || !c.refreshToken || !c.clientId || !url) throw new EmailError('auth', 'the access token was refused and cannot be renewed: give the connection a refreshToken and clientId, and the oauthTokenUrl setting, or a new access token');
    const host = new URL(url).host;
    const body = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: c.refreshToken, client_id: c.clientId, ...(c.clientSecret ? { client_secret: c.clientSecret } : {}) });
    const timeout = AbortSignal.timeout(TOKEN_TIMEOUT_MS);
    let response: Response;
    try {
      response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' }, body, redirect: 'error', signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      throw new EmailError('network', `cannot reach the OAuth token endpoint ${host} to renew the access token (${error instanceof Error ? error.message : 'dropped'})`, { cause: error });
    }
    const json: unknown = await response.json().catch(() => null);
    if (!response.ok) {
      const said = TokenError.safeParse(json);
      const reason = said.success ? `${said.data.error}${said.data.error_description ? `: ${said.data.error_description}` : ''}` : `status ${response.status}`;
      // 400/401 with invalid_grant and the like: the grant is gone; a 5xx may pass, and the next login tries again.
      const kind = response.status >= 500 ? 'other' : 'auth';
      throw new EmailError(kind, `the OAuth token endpoint ${host} refused to renew the access token (${reason})${kind === 'auth' ? ': sign in to the mailbox again to give tuneloop a new refresh token' : ''}`);
    }
    const answer = TokenAnswer.safeParse(json);
    if (!answer.success) throw new EmailError('other', `the OAuth token endpoint ${host} answered without an access token`);
    const { access_token: accessToken, expires_in: expiresIn, refresh_token: refreshToken } = answer.data;
    // Some providers rotate the refresh token with every renewal; others keep it (then none comes back).
    const { expiresAt: _previous, ...rest } = c;
    this.credentials = { ...rest, accessToken, refreshToken: refreshToken ?? c.refreshToken, ...(expiresIn ? { expiresAt: new Date(Date.now() + expiresIn * 1000).toISOString() } : {}) };
    this.log?.info({ host: this.settings.host, expiresIn: expiresIn ?? null }, 'mailbox OAuth2 access token renewed');
    await this.onRefreshed?.({ ...this.credentials });
  }
}

/**
 * A connected client: the access token renewed first when it is about to expire, and once more
 * (then a second login) when the server refuses it. Failures are EmailErrors that say which cause.
 */
export async function connectMailbox(settings: EmailSettings, login: MailboxLogin, signal?: AbortSignal, log?: VendorLogger): Promise<ImapFlow> {
  if (login.expiresSoon() && login.canRefresh) await login.refresh(signal);
  const attempt = async () => {
    const client = openImap(settings, login.current);
    try {
      await client.connect();
      return client;
    } catch (error) {
      await closeImap(client, log);
      throw classifyImapError(error, settings);
    }
  };
  try {
    return await attempt();
  } catch (error) {
    if (!(error instanceof EmailError) || error.kind !== 'auth' || login.current.type !== 'oauth2' || !login.canRefresh) throw error;
    log?.info({ host: settings.host }, 'the IMAP server refused the access token: renewing it');
    await login.refresh(signal);
    return attempt();
  }
}
