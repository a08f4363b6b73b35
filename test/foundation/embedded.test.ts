import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, startCli } from '../support/cli.ts';

/** The two-command promise: no DATABASE_URL, an embedded PostgreSQL under TUNELOOP_HOME. */
describe('embedded PostgreSQL lifecycle', () => {
  const home = mkdtempSync(join(tmpdir(), 'tuneloop-home-'));
  const env = { DATABASE_URL: undefined, TUNELOOP_HOME: home, PORT: '0' };
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  const serverRunning = () => {
    const pidFile = join(home, 'pg', 'postmaster.pid');
    if (!existsSync(pidFile)) return false;
    try {
      process.kill(Number(readFileSync(pidFile, 'utf8').split('\n')[0]), 0);
      return true;
    } catch {
      return false;
    }
  };

  async function start() {
    const hub = startCli(['start'], env);
    const listening = await hub.waitForLog((line) => line.msg === 'hub listening', 'hub listening');
    return { hub, url: String(listening.url) };
  }

  it('starts, keeps data across restarts and kill -9, and stops its server', async () => {
    const first = await start();
    expect((await fetch(`${first.url}/readyz`)).status).toBe(200);

    // A CLI command while the hub runs shares its server and must not stop it.
    const created = runCli(['token', 'create', '--name', 'restart-check', '--role', 'admin'], env);
    expect(created.status, created.stderr).toBe(0);
    const token = created.stdout.trim();
    expect(token).toMatch(/^tl_/);
    expect((await fetch(`${first.url}/readyz`)).status).toBe(200);

    first.hub.child.kill('SIGTERM');
    expect((await first.hub.exited).code).toBe(0);
    expect(serverRunning()).toBe(false);

    const second = await start();
    const authed = await fetch(`${second.url}/api/v1/tokens`, { headers: { Authorization: `Bearer ${token}` } });
    expect(authed.status).toBe(200);

    // kill -9: the server outlives the hub; the next start adopts it.
    second.hub.child.kill('SIGKILL');
    await second.hub.exited;
    const third = await start();
    expect(third.hub.output()).toContain('adopted the running embedded PostgreSQL');
    expect((await fetch(`${third.url}/api/v1/tokens`, { headers: { Authorization: `Bearer ${token}` } })).status).toBe(200);
    third.hub.child.kill('SIGTERM');
    expect((await third.hub.exited).code).toBe(0);
    expect(serverRunning()).toBe(false);
  });
});
