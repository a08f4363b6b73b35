/**
 * Bearer authentication of the inference API: an inference token (`tli_…`, scoped to models and
 * tasks) or an admin API token (`tl_…`, every model). Verified tokens are remembered for a few
 * seconds, so the database is not asked on every request; a revoked token stops within that time.
 */
import type { MiddlewareHandler } from 'hono';
import { allows } from '../../auth/roles.ts';
import { declareRole } from '../auth.ts';
import { verifyToken } from '../../auth/tokens.ts';
import type { Db } from '../../db/client.ts';
import type { Caller } from '../../models/gateway/gateway.ts';
import { isInferenceToken, verifyInferenceToken } from '../../models/gateway/tokens.ts';
import { openaiError } from './errors.ts';

export type CallerVariables = { caller: Caller };

const CACHE_MS = 5_000;

/** The inference API's authentication; it enforces the `inference` role (declared for the route-role table). */
export function requireCaller(db: Db): MiddlewareHandler<{ Variables: CallerVariables }> {
  const cache = new Map<string, { caller: Caller | 'forbidden' | null; expiresAt: number }>();
  async function lookup(secret: string): Promise<Caller | 'forbidden' | null> {
    const hit = cache.get(secret);
    if (hit && hit.expiresAt > Date.now()) return hit.caller;
    let caller: Caller | 'forbidden' | null = null;
    if (isInferenceToken(secret)) {
      const token = await verifyInferenceToken(db, secret);
      caller = token ? { kind: 'inference', token } : null;
    } else {
      // An API token calls models only when its roles include `inference` (admin does).
      const token = await verifyToken(db, secret);
      caller = token ? (allows(token.roles, 'inference') ? { kind: 'api', tokenId: token.id, name: token.name } : 'forbidden') : null;
    }
    // Only valid tokens are remembered: random guesses must not fill the cache.
    if (caller) {
      if (cache.size > 10_000) cache.clear();
      cache.set(secret, { caller, expiresAt: Date.now() + CACHE_MS });
    }
    return caller;
  }

  return declareRole<MiddlewareHandler<{ Variables: CallerVariables }>>(async (c, next) => {
    const match = /^Bearer\s+(\S+)$/i.exec(c.req.header('authorization') ?? '');
    const caller = match?.[1] ? await lookup(match[1]) : null;
    if (caller === 'forbidden') return openaiError(c, 403, 'permission_error', 'missing_role', 'this API token lacks the inference role; use an inference token (tuneloop inference token create) or a token with the inference role');
    if (!caller) {
      c.header('WWW-Authenticate', 'Bearer realm="tuneloop"');
      return openaiError(c, 401, 'authentication_error', 'invalid_api_key', match ? 'Incorrect API key provided: the token is unknown or revoked.' : 'You did not provide an API key: send Authorization: Bearer <token>.');
    }
    c.set('caller', caller);
    await next();
  }, 'inference');
}
