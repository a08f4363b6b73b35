import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, settingsMarkdown, SETTINGS } from '../../src/config.ts';
import { runCli } from '../support/cli.ts';

describe('config', () => {
  it('has working defaults for one machine', () => {
    const config = loadConfig({});
    expect(config.PORT).toBe(8080);
    expect(config.DATABASE_URL).toBeUndefined();
    expect(config.TUNELOOP_HOME).toBe('./.tuneloop');
  });

  it('names the variable and the problem in one line', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(ConfigError);
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/^PORT: .*\(got "eighty"\)$/);
    expect(() => loadConfig({ PORT: '70000' })).toThrow(/^PORT: /);
    expect(() => loadConfig({ LOG_LEVEL: 'loud' })).toThrow(/^LOG_LEVEL: /);
    expect(() => loadConfig({ DATABASE_URL: 'mysql://x' })).toThrow(/^DATABASE_URL: must be a postgres:\/\/ URL$/);
  });

  it('never echoes a secret, even a wrong one', () => {
    let message = '';
    try {
      loadConfig({ TUNELOOP_ENCRYPTION_KEY: 'hunter2-secret' });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/^TUNELOOP_ENCRYPTION_KEY: /);
    expect(message).not.toContain('hunter2');
  });

  it('treats blank values as unset', () => {
    expect(loadConfig({ PORT: '  ', DATABASE_URL: '' }).PORT).toBe(8080);
  });

  it('documents every setting', () => {
    const table = settingsMarkdown();
    for (const key of Object.keys(SETTINGS)) expect(table).toContain(`\`${key}\``);
  });

  it('stops the CLI before it serves, with one line and a non-zero exit', () => {
    const result = runCli(['start'], { PORT: 'abc', DATABASE_URL: undefined });
    expect(result.status).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/^tuneloop: config error: PORT: /);
  });
});
