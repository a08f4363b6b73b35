/**
 * Turns whatever a Slack call ended with into a VendorError a person can act on. Messages name the
 * host and the operation, quote Slack's error code, name missing scopes, and never contain tokens.
 *
 * Slack answers API errors with HTTP 200 and {"ok": false, "error": "code"}
 * (https://docs.slack.dev/apis/web-api/#responses), which @slack/web-api throws as
 * WebAPIPlatformError (body in `.data`); a 429 with
 * rejectRateLimitedCalls as WebAPIRateLimitedError (`.retryAfter` in seconds); other statuses as
 * WebAPIHTTPError; transport failures as WebAPIRequestError (`.original`).
 */
import { WebAPIHTTPError, WebAPIPlatformError, WebAPIRateLimitedError, WebAPIRequestError } from '@slack/web-api';
import type { z } from 'zod';
import { VendorError, type VendorErrorKind } from '../types.ts';
import { SlackErrorBody } from './schemas.ts';

/** A VendorError that remembers Slack's own error code, so callers can tolerate e.g. thread_not_found. */
export class SlackCallError extends VendorError {
  constructor(
    kind: VendorErrorKind,
    message: string,
    readonly slackError: string | null,
    opts: { status?: number | null; retryAfterMs?: number | null; cause?: unknown } = {},
  ) {
    super(kind, message, opts);
  }
}

export interface CallInfo {
  /** What tuneloop was doing, e.g. "read the history of channel C123 (conversations.history)". */
  what: string;
  host: string;
  channel?: string | undefined;
}

const AUTH_ERRORS: Record<string, string> = {
  not_authed: 'no token was sent',
  invalid_auth: 'the token is not valid for this workspace',
  token_revoked: 'the token was revoked (the app was uninstalled or the token was regenerated)',
  token_expired: 'the token expired (token rotation is on: reinstall the app or turn rotation off)',
  account_inactive: 'the bot user or the workspace was deactivated',
  no_permission: 'the workspace does not let this token do that',
};
const TRANSIENT_ERRORS = new Set(['internal_error', 'fatal_error', 'service_unavailable', 'request_timeout', 'team_added_to_org']);
const TRANSPORT_INTERRUPTED = new Set(['ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ECONNABORTED', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

function hasCode(error: unknown): error is Error & { code: unknown } {
  return error instanceof Error && 'code' in error;
}

function platformError(data: unknown, call: CallInfo): SlackCallError {
  const parsed = SlackErrorBody.safeParse(data);
  const code = parsed.success && typeof parsed.data.error === 'string' ? parsed.data.error : null;
  // @slack/web-api puts the whole body in `error` when it is not JSON (an HTML page, a proxy's answer).
  if (code === null || !/^[a-z0-9_.]{1,80}$/.test(code)) {
    return new SlackCallError('malformed', `Slack's answer to ${call.what} on ${call.host} is not the Web API's JSON (an HTML page or a proxy's answer?): check apiUrl`, null);
  }
  const where = `${call.what} on ${call.host}`;
  const auth = AUTH_ERRORS[code];
  if (auth) {
    return new SlackCallError('auth', `Slack rejected the bot token (${code}) for ${call.host}: ${auth}. Copy the Bot User OAuth Token (xoxb-…) from the app's OAuth & Permissions page and check the app is installed in the workspace.`, code);
  }
  switch (code) {
    case 'missing_scope': {
      const needed = parsed.success ? (parsed.data.needed ?? 'a scope Slack did not name') : 'a scope Slack did not name';
      const provided = parsed.success && parsed.data.provided ? ` The token has: ${parsed.data.provided}.` : '';
      return new SlackCallError(
        'forbidden',
        `the Slack app lacks the "${needed}" scope needed to ${where}: add it under OAuth & Permissions > Scopes > Bot Token Scopes and reinstall the app.${provided}`,
        code,
      );
    }
    case 'not_in_channel':
      return new SlackCallError('forbidden', `the bot is not a member of channel ${call.channel ?? '(unknown)'}, so it cannot ${where}: invite it in Slack with /invite @<app name>.`, code);
    case 'channel_not_found':
      return new SlackCallError('not_found', `Slack channel ${call.channel ?? '(unknown)'} was not found when trying to ${where}: check the channel id; a private channel stays hidden until the bot is invited.`, code);
    case 'no_such_subteam':
    case 'subteam_not_found':
      return new SlackCallError('not_found', `the Slack user group was not found when trying to ${where}: check agentUserGroup (an id like S0123ABCD).`, code);
    case 'ratelimited':
      return new SlackCallError('rate_limited', `Slack rate limit reached when trying to ${where}.`, code);
    default:
      if (TRANSIENT_ERRORS.has(code)) return new SlackCallError('transient', `Slack could not answer (${code}) when trying to ${where}; will retry.`, code);
      // Arguments Slack refused (invalid_arguments, thread_not_found, …): retrying cannot help.
      return new SlackCallError(code === 'thread_not_found' ? 'not_found' : 'malformed', `Slack refused the request (${code}) to ${where}.`, code);
  }
}

function transportError(original: unknown, call: CallInfo): SlackCallError {
  const cause = original instanceof Error && original.cause !== undefined ? original.cause : original;
  const code = hasCode(cause) && typeof cause.code === 'string' ? cause.code : original instanceof Error && original.name === 'TimeoutError' ? 'timeout' : '';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return new SlackCallError('network', `host not found: ${call.host}`, null, { cause: original });
  if (code === 'ECONNREFUSED') return new SlackCallError('network', `connection refused by ${call.host}: is the Slack apiUrl right?`, null, { cause: original });
  if (code === 'timeout' || TRANSPORT_INTERRUPTED.has(code)) {
    return new SlackCallError('transient', `connection to ${call.host} was interrupted (${code}) when trying to ${call.what}; will retry`, null, { cause: original });
  }
  const reason = original instanceof Error ? original.message.replace(/https?:\/\/\S+/g, '<url>') : String(original);
  return new SlackCallError('network', `request to ${call.host} failed when trying to ${call.what}: ${reason}`, null, { cause: original });
}

export function toVendorError(error: unknown, call: CallInfo): SlackCallError {
  if (error instanceof WebAPIRateLimitedError) {
    // WebClient parses Retry-After with parseInt: never wait less than the one second Slack's smallest value means.
    const retryAfterMs = Math.max(1, error.retryAfter) * 1000;
    return new SlackCallError('rate_limited', `Slack rate limit reached (429) when trying to ${call.what} on ${call.host}. Retry-After ${retryAfterMs / 1000}s.`, 'ratelimited', { status: 429, retryAfterMs });
  }
  if (error instanceof WebAPIPlatformError) return platformError(error.data, call);
  if (error instanceof WebAPIHTTPError) {
    const status = error.statusCode;
    if (status >= 500 || status === 408) return new SlackCallError('transient', `Slack is unavailable (${status}) when trying to ${call.what} on ${call.host}; will retry.`, null, { status });
    if (status === 404) return new SlackCallError('not_found', `nothing answers ${call.what} on ${call.host} (404): check apiUrl (Slack's is https://slack.com/api/).`, null, { status });
    return new SlackCallError('malformed', `Slack answered ${call.what} on ${call.host} with HTTP ${status}.`, null, { status });
  }
  if (error instanceof WebAPIRequestError) return transportError(error.original, call);
  // WebClient gives up on a 429 whose Retry-After it cannot read; back off and try again.
  if (error instanceof Error && error.message.startsWith('Retry header did not contain a valid timeout')) {
    return new SlackCallError('rate_limited', `Slack rate limit reached (429, no usable Retry-After) when trying to ${call.what} on ${call.host}.`, 'ratelimited', { status: 429 });
  }
  return transportError(error, call);
}

export function shapeError(error: z.ZodError, call: CallInfo): SlackCallError {
  const issues = error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.map((part, i) => (typeof part === 'number' ? `[${part}]` : `${i ? '.' : ''}${String(part)}`)).join('') || 'body'}: ${issue.message}`)
    .join('; ');
  const more = error.issues.length > 3 ? ` (and ${error.issues.length - 3} more)` : '';
  return new SlackCallError('malformed', `Slack's answer to ${call.what} on ${call.host} is missing or has unexpected fields: ${issues}${more}`, null);
}
