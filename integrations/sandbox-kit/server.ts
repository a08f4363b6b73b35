/**
 * Serves a sandbox's Hono app on loopback; `close` also drops keep-alive connections so tests end
 * promptly. A sandbox that takes WebSocket upgrades (Slack's Socket Mode) passes its `ws` server,
 * which @hono/node-server hands to `upgradeWebSocket` routes; it must end those connections itself
 * before `close`, since upgraded sockets are no longer the HTTP server's to drop.
 */
import { serve } from '@hono/node-server';
import type { Server } from 'node:http';

export interface LoopbackServer {
  url: string;
  close(): Promise<void>;
}

type Fetch = Parameters<typeof serve>[0]['fetch'];
export type LoopbackWebSocket = Parameters<typeof serve>[0]['websocket'];

export function listenOnLoopback(fetch: Fetch, port = 0, hostname = '127.0.0.1', websocket?: LoopbackWebSocket): Promise<LoopbackServer> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch, hostname, port, ...(websocket ? { websocket } : {}) }, (info) => {
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
