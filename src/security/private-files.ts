/**
 * TUNELOOP_HOME holds the encryption key, the embedded database's password and data, training data
 * and model artifacts: nobody else on the machine may read them. The process umask becomes 077, so
 * every file the hub creates is 0600 and every directory 0700 whichever code creates it, and the
 * home directory itself is closed (0700; 0711 when running as root, because the embedded
 * PostgreSQL then runs as the `postgres` user and must pass through to its own data directory).
 */
import { chmodSync, mkdirSync } from 'node:fs';
import { userInfo } from 'node:os';

export const PRIVATE_UMASK = 0o077;

export function securePrivateFiles(home: string): void {
  process.umask(PRIVATE_UMASK);
  mkdirSync(home, { recursive: true, mode: 0o700 });
  chmodSync(home, userInfo().uid === 0 ? 0o711 : 0o700);
}
