/**
 * The README stays true for a newcomer: its jobs table names every job the hub has, and every
 * link points inside the repository (a file that exists, or a heading of the README) or to a
 * public URL, never to a folder beside the checkout.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { JOB_NAMES } from '../../src/queue/jobs.ts';
import { ROOT } from '../deploy/tools.ts';

const DOCS = ['README.md', 'gpu-worker/README.md'];

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
function anchors(markdown: string): Set<string> {
  return new Set([...markdown.matchAll(/^#{1,6} (.+)$/gm)].map(([, title]) => (title ?? '').toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, '').replace(/ /g, '-')));
}

describe('README truth', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

  it('the jobs table names every job, and only jobs that exist', () => {
    const start = readme.indexOf('### Jobs');
    expect(start).toBeGreaterThan(-1);
    const table = readme.slice(start, readme.indexOf('\n## ', start));
    const named = [...table.matchAll(/^\| `([a-z]+\.[a-z-]+)` \|/gm)].map(([, name]) => name);
    expect([...named].sort()).toEqual([...JOB_NAMES].sort());
  });

  it.each(DOCS)('%s links only inside the repository or to public URLs', (doc) => {
    const text = readFileSync(join(ROOT, doc), 'utf8');
    expect(text, 'a path outside the repository').not.toMatch(/\.\.\/shared\b/);
    const own = anchors(text);
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (!target) continue;
      if (/^https?:\/\//.test(target)) continue;
      if (target.startsWith('#')) {
        expect(own.has(target.slice(1)), `${doc}: anchor ${target}`).toBe(true);
        continue;
      }
      const path = target.split('#')[0] ?? '';
      expect(existsSync(join(ROOT, doc, '..', path)), `${doc}: link ${target}`).toBe(true);
    }
  });
});
