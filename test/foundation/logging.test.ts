import { describe, expect, it } from 'vitest';
import { redactUrl } from '../../src/log.ts';
import { captureLogger } from '../support/logger.ts';

describe('logs', () => {
  it('are JSON lines with secrets redacted at the root, also in child loggers', () => {
    const { log, lines } = captureLogger();
    const child = log.child({ module: 'harvest' });
    child.info({ token: 'tl_secret', credentials: { token: 'vendor-secret' }, req: { headers: { authorization: 'Bearer tl_secret' } } }, 'request');
    child.warn({ connection: { password: 'hunter2', accessToken: 'at-123', refreshToken: 'rt-456', clientSecret: 'cs' } }, 'vendor');
    const text = JSON.stringify(lines());
    for (const secret of ['tl_secret', 'vendor-secret', 'hunter2', 'at-123', 'rt-456', '"cs"']) expect(text).not.toContain(secret);
    expect(lines()[0]).toMatchObject({ msg: 'request', module: 'harvest', token: '[redacted]' });
  });

  it('never show a database password', () => {
    expect(redactUrl('postgres://tuneloop:s3cret@db:5432/tuneloop')).toBe('postgres://tuneloop:redacted@db:5432/tuneloop');
    expect(redactUrl('not a url')).not.toContain('not a url');
  });
});
