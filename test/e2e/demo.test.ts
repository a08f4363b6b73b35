/**
 * The demo in CI: `npm run demo -- --quick --json FILE --exit` goes around the whole loop on this
 * machine (sandboxes, embedded PostgreSQL, the tiny random model) and its summary passes the same
 * check as `npm run test:demo` (scripts/demo-summary.ts). The full SmolLM2 demo is too long for CI.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { summaryProblems, type DemoSummary } from '../../scripts/demo-summary.ts';
import { ROOT } from '../deploy/tools.ts';

describe('npm run demo -- --quick --json FILE --exit', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tuneloop-demo-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('goes around the loop and writes a summary that passes the check', async () => {
    const file = join(dir, 'summary.json');
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/demo.ts', '--quick', '--json', file, '--exit'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000)));
    child.stderr.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000)));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code, output).toBe(0);
    const summary = JSON.parse(readFileSync(file, 'utf8')) as DemoSummary;
    expect(summaryProblems(summary), output).toEqual([]);
    expect(summary.conversations.harvested).toBeGreaterThan(0);
    expect(summary.drafts.posted).toBeGreaterThan(0);
  }, 1_200_000);
});
