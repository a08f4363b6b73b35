/** `tuneloop sandbox email`: a throwaway Dovecot on loopback with one mailbox user, and how to connect to it. */
import type { SandboxLauncher } from '../../types.ts';
import { startDovecot } from './dovecot.ts';

export const SANDBOX_USER = { username: 'compliance', password: 'sandbox-password' };

export const emailSandbox: SandboxLauncher = {
  description: 'IMAP server (a real Dovecot with a throwaway mail store)',
  options: [{ name: 'port', description: 'IMAP port on 127.0.0.1', default: 4143, min: 1 }],
  async start(values) {
    const started = await startDovecot({ users: [SANDBOX_USER], ...(values.port ? { port: values.port } : {}) });
    return {
      url: `imap://${started.host}:${started.port}`,
      close: () => started.close(),
      instructions: [
        `Dovecot on imap://${started.host}:${started.port} (mail store ${started.dir})`,
        'Add it as a connection:',
        `  npm run tuneloop -- connections add --vendor email --name mailbox-sandbox --setting host=${started.host} --setting port=${started.port} --setting tls=false --credential type=password --credential username=${SANDBOX_USER.username} --credential password=${SANDBOX_USER.password}`,
      ],
    };
  },
};
