import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { settingsMarkdown } from '../../src/config.ts';

describe('README', () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

  it('documents every setting exactly as the schema says', () => {
    const documented = readme.slice(readme.indexOf('<!-- settings:start -->') + 23, readme.indexOf('<!-- settings:end -->')).trim();
    expect(documented).toBe(settingsMarkdown());
  });

  it('gives the two commands', () => {
    expect(readme).toContain('npm install && npm start');
    expect(readme).toContain('npm test');
  });
});
