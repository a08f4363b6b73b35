/**
 * A real IMAP server for tests, benches and `tuneloop sandbox email`: Debian's Dovecot, started on a
 * loopback port with a throwaway configuration, Maildir store and passwd-file users under a fresh
 * temporary folder, and stopped (folder removed) by close(). Mail is delivered with IMAP APPEND.
 * Dovecot's master must start as root to switch to its unprivileged `dovecot`/`dovenull` users;
 * run as another user, it runs everything as that user instead.
 * With `oauth2`, users may also log in with SASL XOAUTH2 or OAUTHBEARER: Dovecot's oauth2 passdb
 * asks the given token introspection endpoint (RFC 7662, POST) whether the bearer token is active
 * and whose it is, as it would ask a real identity provider.
 * https://doc.dovecot.org/2.3/configuration_manual/ (passwd-file, static userdb, Maildir)
 * https://doc.dovecot.org/2.3/configuration_manual/authentication/oauth2/
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { ImapFlow } from 'imapflow';

export interface MailUser {
  username: string;
  password: string;
}

export interface RunningDovecot {
  host: string;
  port: number;
  dir: string;
  /** Delivers one raw RFC 5322 mail into `mailbox` of `user` (IMAP APPEND); resolves with its UID. */
  deliver(user: MailUser, raw: string, mailbox?: string): Promise<number | null>;
  createMailbox(user: MailUser, mailbox: string): Promise<void>;
  deleteMailbox(user: MailUser, mailbox: string): Promise<void>;
  close(): Promise<void>;
}

const DOVECOT_CANDIDATES = ['/usr/sbin/dovecot', '/usr/local/sbin/dovecot'];

export function dovecotBinary(): string | null {
  return DOVECOT_CANDIDATES.find((path) => existsSync(path)) ?? null;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`dovecot exited with ${child.exitCode} before listening`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ host: '127.0.0.1', port }, () => (socket.destroy(), resolve(true)));
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`dovecot did not listen on ${port} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function ids(name: string): { uid: number; gid: number } | null {
  const result = spawnSync('id', ['-u', name], { encoding: 'utf8' });
  const group = spawnSync('id', ['-g', name], { encoding: 'utf8' });
  return result.status === 0 && group.status === 0 ? { uid: Number(result.stdout.trim()), gid: Number(group.stdout.trim()) } : null;
}

export async function startDovecot(options: { users: MailUser[]; port?: number; oauth2?: { introspectionUrl: string } }): Promise<RunningDovecot> {
  const binary = dovecotBinary();
  if (!binary) throw new Error('Dovecot is not installed: apt-get install -y dovecot-imapd (.ci/run does this where it is missing)');
  const port = options.port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'tuneloop-dovecot-'));
  // Dovecot's auth and mail processes run as its own users: they must read the passwd file.
  chmodSync(dir, 0o755);
  const me = userInfo();
  const root = me.uid === 0;
  const mailOwner = root ? ids('dovecot') : { uid: me.uid, gid: me.gid };
  if (!mailOwner) throw new Error('the dovecot system user is missing (reinstall dovecot-core)');
  const internal = root ? 'dovecot' : me.username;
  const login = root ? (ids('dovenull') ? 'dovenull' : 'dovecot') : me.username;
  mkdirSync(join(dir, 'mail'), { mode: 0o755 });
  if (root) chownSync(join(dir, 'mail'), mailOwner.uid, mailOwner.gid);
  // Users' passwords in clear, PLAIN scheme: a throwaway store on loopback only.
  writeFileSync(join(dir, 'passwd'), options.users.map((user) => `${user.username}:{PLAIN}${user.password}\n`).join(''), { mode: 0o644 });
  if (options.oauth2) {
    // Dovecot asks with the form body token=<bearer>; the answer's `username` must be the login name.
    writeFileSync(join(dir, 'oauth2.conf.ext'), `introspection_mode = post\nintrospection_url = ${options.oauth2.introspectionUrl}\nusername_attribute = username\nactive_attribute = active\nactive_value = true\nforce_introspection = yes\n`, { mode: 0o644 });
  }
  const oauth2Passdb = options.oauth2 ? `passdb {\n  driver = oauth2\n  mechanisms = xoauth2 oauthbearer\n  args = ${dir}/oauth2.conf.ext\n}\n` : '';
  writeFileSync(
    join(dir, 'dovecot.conf'),
    `base_dir = ${dir}/run
state_dir = ${dir}/state
log_path = ${dir}/dovecot.log
instance_name = tuneloop-${port}
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login${options.oauth2 ? ' xoauth2 oauthbearer' : ''}
auth_failure_delay = 0
default_internal_user = ${internal}
default_internal_group = ${root ? 'dovecot' : me.username}
default_login_user = ${login}
first_valid_uid = ${Math.min(mailOwner.uid, 1)}
mail_location = maildir:${dir}/mail/%u
passdb {
  driver = passwd-file
  mechanisms = plain login
  args = scheme=PLAIN username_format=%u ${dir}/passwd
}
${oauth2Passdb}userdb {
  driver = static
  args = uid=${mailOwner.uid} gid=${mailOwner.gid} home=${dir}/mail/%u
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = ${port}
  }
  inet_listener imaps {
    port = 0
  }
}
`,
  );
  const child = spawn(binary, ['-F', '-c', join(dir, 'dovecot.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  try {
    await waitForPort(port, child, 15_000);
  } catch (error) {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`${error instanceof Error ? error.message : String(error)}: ${stderr.trim().slice(0, 500)}`);
  }

  const withClient = async <T>(user: MailUser, work: (client: ImapFlow) => Promise<T>): Promise<T> => {
    const client = new ImapFlow({ host: '127.0.0.1', port, secure: false, auth: { user: user.username, pass: user.password }, logger: false });
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.logout();
    }
  };

  return {
    host: '127.0.0.1',
    port,
    dir,
    deliver: (user, raw, mailbox = 'INBOX') => withClient(user, async (client) => { const appended = await client.append(mailbox, raw); return appended ? (appended.uid ?? null) : null; }).then((uid) => uid ?? null),
    createMailbox: (user, mailbox) => withClient(user, async (client) => void (await client.mailboxCreate(mailbox))),
    deleteMailbox: (user, mailbox) => withClient(user, async (client) => void (await client.mailboxDelete(mailbox))),
    async close() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5_000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
