/**
 * The sandbox's login server: the OAuth 2.0 token endpoint (username-password, refresh-token, JWT
 * bearer and client credentials grants), token revocation, the SOAP login() that jsforce's
 * conn.login() posts when no client secret is configured (refused from API 65.0, as Salesforce
 * retires it), the identity URL, and the sessions every REST call is checked against.
 * https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_jwt_flow.htm&type=5
 * https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_client_credentials_flow.htm&type=5
 * https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_username_password_flow.htm&type=5
 * https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_refresh_token_flow.htm&type=5
 * https://help.salesforce.com/s/articleView?id=sf.remoteaccess_revoke_token.htm&type=5
 * https://developer.salesforce.com/docs/atlas.en-us.api.meta/api/sforce_api_calls_login.htm
 */
import { createVerify, randomBytes, timingSafeEqual } from 'node:crypto';
import { Hono, type Context } from 'hono';
import type { SalesforceStore } from './records.ts';

export interface SandboxCredentials {
  username: string;
  password: string;
  securityToken: string;
  clientId: string;
  clientSecret: string;
  /** The certificate's public key (PEM) the connected app checks JWT bearer assertions with; none: the JWT flow is refused. */
  jwtPublicKey?: string;
  /** Whether the connected app has the client credentials flow on (with the integration user as run-as user). */
  clientCredentialsFlow?: boolean;
}

/** SOAP login() is not served from this API version on. */
export const SOAP_LOGIN_RETIRED_FROM = 65;

export const DEFAULT_SANDBOX_CREDENTIALS: SandboxCredentials = {
  username: 'integration@tuneloop-sandbox.example',
  password: 'sandbox-password',
  securityToken: 'SANDBOXSECURITYTOKEN',
  clientId: '3MVG9sandboxTuneloopConsumerKey',
  clientSecret: 'sandbox-consumer-secret',
};

interface Session {
  kind: 'oauth' | 'soap';
  userId: string;
  refreshToken: string | null;
  calls: number;
  expired: boolean;
}

function secureEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

const xmlUnescape = (text: string) =>
  text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');
const xmlEscape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Reads <prefix:tag>value</prefix:tag> from a SOAP body, with or without CDATA. */
function soapValue(xml: string, tag: string): string | null {
  const match = new RegExp(`<(?:\\w+:)?${tag}(?:\\s[^>]*)?>([\\s\\S]*?)</(?:\\w+:)?${tag}>`).exec(xml);
  if (!match) return null;
  const inner = match[1] ?? '';
  const cdata = /^<!\[CDATA\[([\s\S]*)\]\]>$/.exec(inner.trim());
  return cdata ? (cdata[1] ?? '') : xmlUnescape(inner);
}

function soapFault(code: string, message: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:sf="urn:fault.partner.soap.sforce.com" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><soapenv:Fault><faultcode>sf:${code}</faultcode><faultstring>${code}: ${xmlEscape(message)}</faultstring><detail><sf:LoginFault xsi:type="sf:LoginFault"><sf:exceptionCode>${code}</sf:exceptionCode><sf:exceptionMessage>${xmlEscape(message)}</sf:exceptionMessage></sf:LoginFault></detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>`;
}

export class SandboxAuth {
  private readonly sessions = new Map<string, Session>();
  private readonly refreshTokens = new Map<string, { userId: string; revoked: boolean }>();

  constructor(
    private readonly credentials: SandboxCredentials,
    private readonly store: SalesforceStore,
    /** Each access token works for this many API calls, then answers 401 (0: forever). Read on every call. */
    private readonly expireAfterCalls: () => number,
  ) {}

  private newAccessToken(kind: Session['kind'], refreshToken: string | null): string {
    const token = `${this.store.orgId.slice(0, 15)}!AQ${randomBytes(72).toString('base64url')}`;
    this.sessions.set(token, { kind, userId: this.store.integrationUserId, refreshToken, calls: 0, expired: false });
    return token;
  }

  /** What a finished web-server (authorization code) flow leaves a connected app with. */
  authorize(): { accessToken: string; refreshToken: string } {
    const refreshToken = `5Aep861${randomBytes(48).toString('base64url')}`;
    this.refreshTokens.set(refreshToken, { userId: this.store.integrationUserId, revoked: false });
    return { accessToken: this.newAccessToken('oauth', refreshToken), refreshToken };
  }

  /** Every access token issued so far stops working; refresh tokens still do. */
  expireAccessTokens(): void {
    for (const session of this.sessions.values()) session.expired = true;
  }

  /** Like /services/oauth2/revoke: a refresh token takes its access tokens with it. */
  revoke(token: string): boolean {
    const refresh = this.refreshTokens.get(token);
    if (refresh) {
      refresh.revoked = true;
      for (const [access, session] of this.sessions) if (session.refreshToken === token) this.sessions.delete(access);
      return true;
    }
    return this.sessions.delete(token);
  }

  /** The session behind an Authorization header, or null when missing, unknown, revoked or expired. */
  useSession(authorization: string | undefined, countCall: boolean): Session | null {
    const match = /^(?:Bearer|OAuth)\s+(\S+)$/i.exec(authorization ?? '');
    const session = match?.[1] ? this.sessions.get(match[1]) : undefined;
    if (!session || session.expired) return null;
    const limit = this.expireAfterCalls();
    if (countCall) session.calls++;
    if (limit > 0 && session.calls > limit) {
      session.expired = true;
      return null;
    }
    return session;
  }

  private identityUrl(origin: string): string {
    return `${origin}/id/${this.store.orgId}/${this.store.integrationUserId}`;
  }

  private passwordMatches(username: string, password: string): boolean {
    return secureEqual(username, this.credentials.username) && secureEqual(password, this.credentials.password + this.credentials.securityToken);
  }

  /**
   * The assertion is header.claims.signature (RS256): iss the consumer key, sub the username, aud
   * the login server, exp at most a few minutes ahead; verified with the connected app's certificate.
   */
  private jwtGrant(c: Context, assertion: string) {
    const invalid = (description: string) => c.json({ error: 'invalid_grant', error_description: description }, 400);
    const [header, claims, signature] = assertion.split('.');
    if (!header || !claims || !signature || !this.credentials.jwtPublicKey) return invalid('invalid assertion');
    const verified = createVerify('RSA-SHA256').update(`${header}.${claims}`).verify(this.credentials.jwtPublicKey, Buffer.from(signature, 'base64url'));
    if (!verified) return invalid('invalid assertion');
    let body: { iss?: unknown; sub?: unknown; aud?: unknown; exp?: unknown };
    try {
      body = JSON.parse(Buffer.from(claims, 'base64url').toString('utf8')) as typeof body;
    } catch {
      return invalid('invalid assertion');
    }
    if (body.iss !== this.credentials.clientId) return c.json({ error: 'invalid_client_id', error_description: 'client identifier invalid' }, 400);
    const origin = new URL(c.req.url).origin;
    if (body.aud !== origin && body.aud !== 'https://login.salesforce.com' && body.aud !== 'https://test.salesforce.com') return invalid('audience is invalid');
    if (typeof body.exp !== 'number' || body.exp * 1000 < Date.now() || body.exp * 1000 > Date.now() + 5 * 60_000) return invalid('expiration time is invalid');
    if (typeof body.sub !== 'string' || !secureEqual(body.sub, this.credentials.username)) return invalid('user hasn\'t approved this consumer');
    return this.tokenResponse(c, this.newAccessToken('oauth', null), {}, 'api');
  }

  private tokenResponse(c: Context, accessToken: string, extra: Record<string, string> = {}, scope = 'api refresh_token') {
    const origin = new URL(c.req.url).origin;
    return c.json({
      access_token: accessToken,
      ...extra,
      signature: randomBytes(32).toString('base64'),
      scope,
      instance_url: origin,
      id: this.identityUrl(origin),
      token_type: 'Bearer',
      issued_at: String(Date.now()),
    });
  }

  routes(): Hono {
    const app = new Hono();
    const oauthError = (c: Context, error: string, description: string) => c.json({ error, error_description: description }, 400);

    app.post('/services/oauth2/token', async (c) => {
      const form = await c.req.parseBody();
      const param = (name: string) => (typeof form[name] === 'string' ? form[name] : '');
      const grant = param('grant_type');
      if (grant === 'urn:ietf:params:oauth:grant-type:jwt-bearer') return this.jwtGrant(c, param('assertion'));
      if (grant === 'client_credentials') {
        if (!secureEqual(param('client_id'), this.credentials.clientId) || !secureEqual(param('client_secret'), this.credentials.clientSecret)) return oauthError(c, 'invalid_client', 'invalid client credentials');
        if (!this.credentials.clientCredentialsFlow) return oauthError(c, 'invalid_grant', 'no client credentials user enabled');
        return this.tokenResponse(c, this.newAccessToken('oauth', null), {}, 'api');
      }
      if (grant !== 'password' && grant !== 'refresh_token') return oauthError(c, 'unsupported_grant_type', 'grant type not supported');
      if (!secureEqual(param('client_id'), this.credentials.clientId)) return oauthError(c, 'invalid_client_id', 'client identifier invalid');
      const secret = param('client_secret');
      // The refresh grant may omit the secret (connected apps can waive it); a wrong one always fails.
      if ((grant === 'password' || secret) && !secureEqual(secret, this.credentials.clientSecret)) return oauthError(c, 'invalid_client', 'invalid client credentials');
      if (grant === 'password') {
        if (!this.passwordMatches(param('username'), param('password'))) return oauthError(c, 'invalid_grant', 'authentication failure');
        return this.tokenResponse(c, this.newAccessToken('oauth', null));
      }
      const refresh = this.refreshTokens.get(param('refresh_token'));
      if (!refresh || refresh.revoked) return oauthError(c, 'invalid_grant', 'expired access/refresh token');
      return this.tokenResponse(c, this.newAccessToken('oauth', param('refresh_token')));
    });

    const revoke = async (c: Context) => {
      const form = c.req.method === 'POST' ? await c.req.parseBody() : {};
      const token = typeof form.token === 'string' ? form.token : (c.req.query('token') ?? '');
      if (!this.revoke(token)) return c.json({ error: 'unsupported_token_type', error_description: 'this token type is not supported' }, 400);
      return c.body(null, 200);
    };
    app.post('/services/oauth2/revoke', revoke);
    app.get('/services/oauth2/revoke', revoke);

    app.post('/services/Soap/u/:version', async (c) => {
      const xml = await c.req.text();
      const origin = new URL(c.req.url).origin;
      const version = c.req.param('version');
      c.header('Content-Type', 'text/xml; charset=utf-8');
      if (/<(?:\w+:)?logout[\s/>]/.test(xml)) {
        const sessionId = soapValue(xml, 'sessionId');
        if (sessionId) this.sessions.delete(sessionId);
        return c.body('<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns="urn:partner.soap.sforce.com"><soapenv:Body><logoutResponse/></soapenv:Body></soapenv:Envelope>');
      }
      if (Number.parseFloat(version) >= SOAP_LOGIN_RETIRED_FROM) {
        return c.body(soapFault('UNSUPPORTED_API_VERSION', `login() is not available in API version ${version}: use OAuth 2.0`), 500);
      }
      const username = soapValue(xml, 'username');
      const password = soapValue(xml, 'password');
      if (username === null || password === null || !/<(?:\w+:)?login[\s>]/.test(xml)) {
        return c.body(soapFault('INVALID_OPERATION', 'this sandbox answers login and logout only'), 500);
      }
      if (!this.passwordMatches(username, password)) {
        return c.body(soapFault('INVALID_LOGIN', 'Invalid username, password, security token; or user locked out.'), 500);
      }
      const sessionId = this.newAccessToken('soap', null);
      const user = this.store.get(this.store.integrationUserId)!.row;
      const org15 = this.store.orgId.slice(0, 15);
      return c.body(
        `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns="urn:partner.soap.sforce.com" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><loginResponse><result>` +
          `<metadataServerUrl>${origin}/services/Soap/m/${version}/${org15}</metadataServerUrl><passwordExpired>false</passwordExpired><sandbox>true</sandbox>` +
          `<serverUrl>${origin}/services/Soap/u/${version}/${org15}</serverUrl><sessionId>${sessionId}</sessionId><userId>${this.store.integrationUserId}</userId>` +
          `<userInfo><accessibilityMode>false</accessibilityMode><currencySymbol>€</currencySymbol><orgDefaultCurrencyIsoCode>EUR</orgDefaultCurrencyIsoCode><organizationId>${this.store.orgId}</organizationId><organizationMultiCurrency>false</organizationMultiCurrency><organizationName>Tuneloop Sandbox</organizationName>` +
          `<sessionSecondsValid>7200</sessionSecondsValid><userEmail>${xmlEscape(String(user.Email))}</userEmail><userFullName>${xmlEscape(String(user.Name))}</userFullName><userId>${this.store.integrationUserId}</userId><userLanguage>en_US</userLanguage><userName>${xmlEscape(String(user.Username))}</userName><userTimeZone>Europe/Berlin</userTimeZone><userType>Standard</userType></userInfo>` +
          `</result></loginResponse></soapenv:Body></soapenv:Envelope>`,
      );
    });

    // https://help.salesforce.com/s/articleView?id=sf.remoteaccess_using_openid.htm&type=5 (identity URL)
    app.get('/id/:orgId/:userId', (c) => {
      const token = c.req.query('oauth_token');
      const session = this.useSession(token ? `Bearer ${token}` : c.req.header('Authorization'), false);
      if (!session) return c.text('Bad_OAuth_Token', 403);
      const origin = new URL(c.req.url).origin;
      const user = this.store.get(session.userId)!.row;
      return c.json({
        id: this.identityUrl(origin),
        asserted_user: true,
        user_id: session.userId,
        organization_id: this.store.orgId,
        username: user.Username,
        nick_name: user.Alias,
        display_name: user.Name,
        email: user.Email,
        active: true,
        user_type: 'STANDARD',
        language: 'en_US',
        locale: 'en_US',
        utcOffset: 3600000,
        urls: { rest: `${origin}/services/data/v{version}/`, query: `${origin}/services/data/v{version}/query/`, sobjects: `${origin}/services/data/v{version}/sobjects/` },
        is_app_installed: true,
        last_modified_date: '2024-12-01T09:00:00.000+0000',
      });
    });

    return app;
  }

  identityFor(origin: string): string {
    return this.identityUrl(origin);
  }
}
