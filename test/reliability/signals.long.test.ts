/**
 * SIGTERM to the whole process group of `npm start` (systemd's default KillMode, `kill -- -PGID`):
 * the hub gets it twice, directly and forwarded by npm. It must shut down once, cleanly, and stop
 * its embedded PostgreSQL (it used to take the copy as "exit now" and leave PostgreSQL running).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { cliEnv } from '../support/cli.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

describe('kill -TERM -PGID under npm', () => {
  const home = mkdtempSync(join(tmpdir(), 'tuneloop-signals-'));
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  const postgresPid = (): number | null => {
    const file = join(home, 'pg', 'postmaster.pid');
    return existsSync(file) ? Number(readFileSync(file, 'utf8').split('\n')[0]) : null;
  };
  /** Running, not a zombie: in a container without an init, an exited daemon may stay unreaped. */
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
    } catch {
      return false;
    }
    const stat = existsSync(`/proc/${pid}/stat`) ? readFileSync(`/proc/${pid}/stat`, 'utf8') : '';
    return !/^\d+ \(.*\) Z/.test(stat);
  };

  it('stops the hub once and its embedded PostgreSQL with it', async () => {
    // Node 24 first on PATH, as `npm start` finds it in a checkout.
    const env = cliEnv({ DATABASE_URL: undefined, TUNELOOP_HOME: home, PORT: '0', PATH: `${ROOT}node_modules/.bin:${process.env.PATH ?? ''}` });
    const npm = spawn('npm', ['start', '--silent'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let output = '';
    const listening = new Promise<void>((resolve, reject) => {
      npm.stdout?.on('data', (chunk: Buffer) => {
        output += chunk;
        if (output.includes('"msg":"hub listening"')) resolve();
      });
      npm.stderr?.on('data', (chunk: Buffer) => (output += chunk));
      npm.once('exit', () => reject(new Error(`npm start exited early:\n${output}`)));
    });
    const exited = new Promise<number | null>((resolve) => npm.once('exit', (code) => resolve(code)));
    await listening;
    const postgres = postgresPid();
    expect(postgres && alive(postgres)).toBe(true);

    if (!npm.pid) throw new Error('no pid');
    // The group gets SIGTERM. Whether npm forwards its copy depends on its version, and two signals
    // still pending are merged into one by the kernel, so once the hub has taken the first, a second
    // copy goes to the group: what a forwarding parent does a moment later.
    const received = new Promise<void>((resolve) => {
      const check = () => (output.includes('"msg":"signal received"') ? resolve() : setTimeout(check, 10));
      check();
    });
    process.kill(-npm.pid, 'SIGTERM');
    await received;
    try {
      process.kill(-npm.pid, 'SIGTERM');
    } catch {
      // The group is already gone: nothing left to receive a copy.
    }
    expect(await exited).toBe(0);
    expect(output).toContain('already stopping');
    expect(output).not.toContain('second signal');
    expect(output).toContain('"msg":"stopped"');
    // pg_ctl stop -w returned before the hub exited; the postmaster's pid is gone with it.
    expect(postgres !== null && alive(postgres), output).toBe(false);
    expect(existsSync(join(home, 'pg', 'postmaster.pid'))).toBe(false);
  });
});
