/** A real pino logger whose lines tests can read (e.g. to prove secrets are redacted). */
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/log.ts';

export function captureLogger(): { log: Logger; lines: () => Array<Record<string, unknown>> } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  const log = createLogger({ LOG_LEVEL: 'debug', LOG_FORMAT: 'json' }, stream);
  const lines = () =>
    chunks
      .join('')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { log, lines };
}
