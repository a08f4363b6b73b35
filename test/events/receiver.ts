/** A loopback webhook receiver for the events tests: answers with a status the test sets, or is down. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  headers: { id: string; timestamp: string; signature: string };
  body: string;
  answered: number;
}

export interface Receiver {
  url: string;
  received: Received[];
  /** The status the next requests get. */
  answer(status: number): void;
  /** Stops listening (connections are refused) until `up()`. */
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const received: Received[] = [];
  let status = 204;
  let server: Server | null = null;
  let port = 0;

  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const next = createServer((request, response) => {
        const chunks: Buffer[] = [];
        request.on('data', (chunk: Buffer) => chunks.push(chunk));
        request.on('end', () => {
          const header = (name: string) => String(request.headers[name] ?? '');
          received.push({ headers: { id: header('webhook-id'), timestamp: header('webhook-timestamp'), signature: header('webhook-signature') }, body: Buffer.concat(chunks).toString('utf8'), answered: status });
          response.writeHead(status).end();
        });
      });
      next.once('error', reject);
      next.listen(port, '127.0.0.1', () => {
        port = (next.address() as AddressInfo).port;
        server = next;
        resolve();
      });
    });
  const stop = () =>
    new Promise<void>((resolve) => {
      if (!server) return resolve();
      server.closeAllConnections();
      server.close(() => resolve());
      server = null;
    });

  await listen();
  return {
    url: `http://127.0.0.1:${port}/hooks/tuneloop`,
    received,
    answer(next) {
      status = next;
    },
    down: stop,
    up: listen,
    close: stop,
  };
}

/** Polls until `check` returns a value (not a timed assertion: the test's timeout bounds it). */
export async function waitFor<T>(check: () => Promise<T | null | undefined | false>, what: string, intervalMs = 100): Promise<T> {
  for (;;) {
    const value = await check();
    if (value) return value;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
    if (process.env.DEBUG_WAIT) console.log(`waiting for ${what}`);
  }
}
