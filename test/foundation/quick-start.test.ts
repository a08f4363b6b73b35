/**
 * The README's quick start, run as a newcomer would on a fresh clone (this working tree's files
 * without anything git ignores): every shell block under
 * "## Quick start", in order, with three substitutions that keep the test offline and parallel-safe
 * (each is asserted to apply, so the README cannot drift away from them unnoticed):
 *   - `npm install` links this checkout's node_modules instead of downloading them again;
 *   - port 8080 becomes a free port;
 *   - `tl_…` becomes the token that `token create` printed.
 * `npm test` is skipped (it is the suite this test belongs to).
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../deploy/tools.ts';

const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const section = readme.slice(readme.indexOf('## Quick start'), readme.indexOf('\n## ', readme.indexOf('## Quick start') + 1));
/** Command lines of the section's ```sh blocks, comments dropped. */
const commands = [...section.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap(([, block]) =>
  (block ?? '')
    .split('\n')
    .map((line) => line.replace(/\s+#.*$/, '').trim())
    .filter((line) => line && !line.startsWith('#')),
);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

describe('README quick start on a fresh clone', () => {
  const clone = mkdtempSync(join(tmpdir(), 'tuneloop-quick-start-'));
  // mkdtemp makes it 0700; a checkout is normally readable, and when the tests run as root the
  // embedded PostgreSQL runs as the `postgres` user, which must reach ./.tuneloop inside it.
  chmodSync(clone, 0o755);
  afterAll(() => {
    // A failed run may leave the embedded PostgreSQL up: stop it by its pid file before removing its folder.
    const pidFile = join(clone, '.tuneloop', 'pg', 'postmaster.pid');
    if (existsSync(pidFile)) {
      try {
        process.kill(Number(readFileSync(pidFile, 'utf8').split('\n')[0]), 'SIGTERM');
      } catch {
        // already gone
      }
    }
    rmSync(clone, { recursive: true, force: true });
  });

  it('names the commands this test runs', () => {
    expect(commands).toEqual([
      'npm install && npm start',
      'curl http://127.0.0.1:8080/readyz',
      'npm run tuneloop -- token create --name me --role admin',
      'curl -H "Authorization: Bearer tl_…" http://127.0.0.1:8080/api/v1/tokens',
      'npm test',
    ]);
  });

  it('starts the hub on an embedded PostgreSQL, answers with a token, and stops on SIGTERM', async () => {
    // What a clone of this working tree holds: tracked and new files, nothing git ignores (no
    // ./.tuneloop, no venv, no node_modules).
    const cloned = spawnSync('bash', ['-c', `git ls-files -z -co --exclude-standard | tar --null -T - -cf - | tar -xf - -C ${JSON.stringify(clone)}`], { cwd: ROOT, encoding: 'utf8' });
    expect(cloned.status, cloned.stderr).toBe(0);
    symlinkSync(join(ROOT, 'node_modules'), join(clone, 'node_modules'));
    const port = await freePort();
    const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${join(ROOT, 'node_modules/.bin')}:${process.env.PATH ?? ''}`, PORT: String(port), LOG_FORMAT: 'json' };
    delete env.DATABASE_URL; // the quick start's embedded PostgreSQL, under the clone's ./.tuneloop
    delete env.TUNELOOP_HOME;
    const shell = (line: string) => {
      const result = spawnSync('bash', ['-c', line], { cwd: clone, env, encoding: 'utf8', timeout: 120_000 });
      expect(result.status, `${line}\n${result.stderr}`).toBe(0);
      return result.stdout;
    };
    const local = (line: string) => {
      expect(line).toContain('127.0.0.1:8080');
      return line.replaceAll('127.0.0.1:8080', `127.0.0.1:${port}`);
    };

    const [start, ready, createToken, listTokens, test] = commands;
    expect(start?.startsWith('npm install && ')).toBe(true);
    const hub = spawn('bash', ['-c', `exec ${start?.replace('npm install && ', '')}`], { cwd: clone, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    hub.stdout.on('data', (chunk: Buffer) => (output += chunk));
    hub.stderr.on('data', (chunk: Buffer) => (output += chunk));
    const exited = new Promise<number | null>((resolve) => hub.once('exit', (code) => resolve(code)));
    try {
      const deadline = Date.now() + 90_000;
      while (!output.includes('hub listening')) {
        if (Date.now() > deadline || hub.exitCode !== null) throw new Error(`the hub did not start:\n${output}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect(JSON.parse(shell(local(ready ?? '')))).toMatchObject({ status: 'ready' });
      const token = /\btl_[A-Za-z0-9_-]+/.exec(shell(createToken ?? ''))?.[0];
      expect(token).toBeDefined();
      expect(listTokens).toContain('tl_…');
      const listed = JSON.parse(shell(local(listTokens ?? '').replace('tl_…', token ?? ''))) as { data: Array<{ name: string }> };
      expect(listed.data.map((each) => each.name)).toContain('me');
      expect(test).toBe('npm test'); // skipped: it is this suite
    } finally {
      if (hub.exitCode === null) process.kill(-(hub.pid ?? 0), 'SIGTERM');
    }
    // "Stop it with Ctrl-C (or SIGTERM)": a clean exit that stopped the embedded PostgreSQL.
    expect(await exited, output.slice(-3000)).toBe(0);
    expect(output).toContain('stopped');
  }, 240_000);
});
