/** What every vendor failure becomes. */

export type VendorErrorKind =
  | 'auth' // 401: credentials wrong, expired beyond refresh, revoked
  | 'forbidden' // 403: missing scope/permission
  | 'not_found' // 404 of the account/endpoint: wrong subdomain or instance
  | 'rate_limited' // 429 or vendor API limit
  | 'transient' // 5xx, timeouts, connection resets
  | 'network' // host not found, connection refused
  | 'malformed'; // response did not match the documented shape

/** Every vendor failure is turned into this, with a message a person can act on and no secrets. */
export class VendorError extends Error {
  readonly kind: VendorErrorKind;
  readonly status: number | null;
  /** For rate limits: how long the vendor asked us to wait. */
  readonly retryAfterMs: number | null;

  constructor(kind: VendorErrorKind, message: string, opts: { status?: number | null; retryAfterMs?: number | null; cause?: unknown } = {}) {
    super(message, { cause: opts.cause });
    this.name = 'VendorError';
    this.kind = kind;
    this.status = opts.status ?? null;
    this.retryAfterMs = opts.retryAfterMs ?? null;
  }

  get retryable(): boolean {
    return this.kind === 'rate_limited' || this.kind === 'transient' || this.kind === 'network';
  }
}
