import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { auditableUrl } from '../../src/audit.ts';
import { redactUrl } from '../../src/log.ts';
import { securePrivateFiles } from '../../src/security/private-files.ts';
import { scrubText } from '../../src/security/scrub.ts';
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

describe('secrets in logs, audit rows and files', () => {
  it('are redacted at any depth, headers spelled Authorization included', () => {
    const { log, lines } = captureLogger();
    log.info({ request: { options: { headers: { Authorization: 'Bearer deep-1', 'X-Api-Key': 'deep-2', Cookie: 'sid=deep-3' } } }, a: { b: { c: { d: { clientSecret: 'deep-4', webhookSecret: 'deep-5' } } } }, list: [{ refreshToken: 'deep-6' }] }, 'nested');
    const text = JSON.stringify(lines());
    for (const secret of ['deep-1', 'deep-2', 'deep-3', 'deep-4', 'deep-5', 'deep-6']) expect(text).not.toContain(secret);
    expect(lines()[0]).toMatchObject({ request: { options: { headers: { Authorization: '[redacted]' } } }, a: { b: { c: { d: { clientSecret: '[redacted]' } } } } });
  });

  it('counts and other fields stay as they are', () => {
    const { log, lines } = captureLogger();
    log.info({ usage: { prompt_tokens: 12, maxTokens: 5 }, hasToken: true, url: 'https://example.com/a' }, 'usage');
    expect(lines()[0]).toMatchObject({ usage: { prompt_tokens: 12, maxTokens: 5 }, hasToken: true, url: 'https://example.com/a' });
  });

  it('a worker stderr line is scrubbed of credential-shaped text and of known secret values', () => {
    const line = 'GET https://user:pw123456@hf.example/x Authorization: Bearer abcdefgh12345 token hf_abcdefghijklmnop key sk-proj-abcdefghijkl my-db-secret-value';
    const scrubbed = scrubText(line, ['my-db-secret-value']);
    for (const secret of ['pw123456', 'abcdefgh12345', 'hf_abcdefghijklmnop', 'sk-proj-abcdefghijkl', 'my-db-secret-value']) expect(scrubbed).not.toContain(secret);
    expect(scrubbed).toContain('GET https://user:[redacted]@hf.example/x');
    expect(scrubText('step 10 loss 1.25 lr 0.0002')).toBe('step 10 loss 1.25 lr 0.0002');
  });

  it('audit rows keep URLs without query string, fragment or user info', () => {
    expect(auditableUrl('https://user:pw@hooks.example.com/in?token=s3cret#frag')).toBe('https://hooks.example.com/in');
    expect(auditableUrl('not a url ?token=x')).toBe('not a url ?token=x');
  });

  it('files the hub creates are 0600 and its directories 0700', () => {
    const home = join(mkdtempSync(join(tmpdir(), 'tl-private-')), 'home');
    const before = process.umask();
    try {
      securePrivateFiles(home);
      writeFileSync(join(home, 'file'), 'x');
      mkdirSync(join(home, 'dir'));
      expect(statSync(join(home, 'file')).mode & 0o777).toBe(0o600);
      expect(statSync(join(home, 'dir')).mode & 0o777).toBe(0o700);
      expect(statSync(home).mode & 0o077 & ~0o011).toBe(0);
    } finally {
      process.umask(before);
      rmSync(dirname(home), { recursive: true, force: true });
    }
  });
});
