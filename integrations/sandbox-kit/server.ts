/** Serves a sandbox's Hono app on loopback; `close` also drops keep-alive connections so tests end promptly. */
import { serve } from '@hono/node-server';
import type { Server } from 'node:http';

export interface LoopbackServer {
  url: string;
  close(): Promise<void>;
}

export function listenOnLoopback(fetch: (request: Request) => Response | Promise<Response>, port = 0, hostname = '127.0.0.1'): Promise<LoopbackServer> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch, hostname, port }, (info) => {
      resolve({
        url: `http://${hostname}:${info.port}`,
        close: () =>
          new Promise<void>((done) => {
            (server as Server).closeAllConnections?.();
            server.close(() => done());
          }),
      });
    });
    server.once('error', reject);
  });
}
