/**
 * Slack's side of Socket Mode (https://docs.slack.dev/apis/events-api/using-socket-mode), on the
 * sandbox's own loopback server through @hono/node-server's `upgradeWebSocket` and the `ws` server:
 * - apps.connections.open hands out a URL with a ticket; each ticket opens one connection;
 * - a new connection gets {"type":"hello","num_connections","debug_info","connection_info"} (the
 *   shape of @slack/socket-mode's HelloMessage);
 * - payloads travel in envelopes {envelope_id, type, payload, accepts_response_payload,
 *   retry_attempt?, retry_reason?}; the app acknowledges with {envelope_id, payload?}, the payload
 *   being its response (a slash command's reply, a view's response_action);
 * - {"type":"disconnect","reason":"refresh_requested"} tells a connection to go; the sandbox then
 *   delivers only on the others, and the client opens a new one (`disconnect`, for tests).
 * Envelopes go to the open connections in turn, as Slack spreads them over an app's connections.
 */
import { randomBytes } from 'node:crypto';
import { upgradeWebSocket } from '@hono/node-server';
import type { MiddlewareHandler } from 'hono';
import type { WSContext } from 'hono/ws';
import { WebSocketServer } from 'ws';
import type { SocketConnectionRecord } from './records.ts';
import type { SocketTickets } from './state.ts';
import type { SlackSandboxStore } from './store.ts';

/** What Slack's hello names as the serving host; a connection "lasts" about this many seconds. */
const DEBUG_INFO = { host: 'applink-sandbox-1', build_number: 1, approximate_connection_time: 18060 };

export type DisconnectReason = 'refresh_requested' | 'warning' | 'link_disabled';

export interface SocketAck {
  acked: boolean;
  /** The ack's payload; null when it had none (or an empty one). */
  payload: unknown;
  latencyMs: number;
}

interface Connection {
  ws: WSContext;
  record: SocketConnectionRecord;
  draining: boolean;
}

export class SocketLink implements SocketTickets {
  /** For @hono/node-server's `serve({ websocket: { server } })`. */
  readonly server = new WebSocketServer({ noServer: true });
  private readonly tickets = new Set<string>();
  private connections: Connection[] = [];
  /** Envelopes sent and not yet acknowledged: settle(true, payload) on the ack, settle(false) on timeout or close. */
  private readonly waitingAcks = new Map<string, (acked: boolean, payload: unknown) => void>();
  private readonly waitingConnections: ((record: SocketConnectionRecord) => void)[] = [];
  private nextId = 1;
  private turn = 0;

  constructor(
    private readonly store: SlackSandboxStore,
    private readonly appId: string,
  ) {}

  open(origin: string): string {
    const ticket = randomBytes(16).toString('hex');
    this.tickets.add(ticket);
    return `ws://${new URL(origin).host}/link/?ticket=${ticket}`;
  }

  /** The `/link/` route: a ticket it issued and nobody used yet, else 401 before the upgrade. */
  route(): [MiddlewareHandler, MiddlewareHandler] {
    const checkTicket: MiddlewareHandler = async (c, next) => {
      const ticket = c.req.query('ticket');
      if (!ticket || !this.tickets.delete(ticket)) return c.body(null, 401);
      await next();
    };
    const upgrade = upgradeWebSocket(() => {
      let connection: Connection | undefined;
      return {
        onOpen: (_event, ws) => {
          connection = this.accept(ws);
        },
        onMessage: (event) => {
          if (typeof event.data === 'string') this.onAck(event.data);
        },
        onClose: () => {
          if (!connection) return;
          connection.record.closedAt = new Date();
          this.connections = this.connections.filter((open) => open !== connection);
        },
      };
    });
    return [checkTicket, upgrade];
  }

  /** Connections that take envelopes: open, and not told to go. */
  get active(): number {
    return this.live().length;
  }

  /** Resolves when the next connection has been greeted. */
  waitForConnection(): Promise<SocketConnectionRecord> {
    return new Promise((resolve) => this.waitingConnections.push(resolve));
  }

  /** Sends an envelope; resolves with its ack, or unacknowledged after `timeoutMs`. */
  send(envelope: { envelope_id: string } & Record<string, unknown>, timeoutMs: number): Promise<SocketAck> {
    const live = this.live();
    const connection = live[this.turn++ % Math.max(1, live.length)];
    if (!connection) return Promise.resolve({ acked: false, payload: null, latencyMs: 0 });
    const started = performance.now();
    return new Promise((resolve) => {
      const settle = (acked: boolean, payload: unknown) => {
        clearTimeout(timer);
        this.waitingAcks.delete(envelope.envelope_id);
        resolve({ acked, payload, latencyMs: performance.now() - started });
      };
      const timer = setTimeout(() => settle(false, null), timeoutMs);
      this.waitingAcks.set(envelope.envelope_id, settle);
      connection.ws.send(JSON.stringify(envelope));
    });
  }

  /** Sends {"type":"disconnect"} to every active connection; returns how many were told. */
  disconnect(reason: DisconnectReason): number {
    const live = this.live();
    for (const connection of live) {
      connection.draining = true;
      connection.record.disconnectReason = reason;
      connection.ws.send(JSON.stringify({ type: 'disconnect', reason, debug_info: { host: DEBUG_INFO.host } }));
    }
    return live.length;
  }

  /** Ends every connection now (the sandbox is closing). */
  close(): void {
    for (const settle of [...this.waitingAcks.values()]) settle(false, null);
    for (const client of this.server.clients) client.terminate();
    this.server.close();
  }

  private live(): Connection[] {
    return this.connections.filter((connection) => !connection.draining && connection.ws.readyState === 1);
  }

  private accept(ws: WSContext): Connection {
    const record: SocketConnectionRecord = { id: this.nextId++, openedAt: new Date(), closedAt: null, disconnectReason: null };
    this.store.socketConnections.push(record);
    const connection: Connection = { ws, record, draining: false };
    this.connections.push(connection);
    ws.send(JSON.stringify({ type: 'hello', num_connections: this.live().length, debug_info: DEBUG_INFO, connection_info: { app_id: this.appId } }));
    for (const resolve of this.waitingConnections.splice(0)) resolve(record);
    return connection;
  }

  /** {envelope_id, payload?}; anything else (or an ack nobody waits for any more) is ignored, as Slack does. */
  private onAck(data: string): void {
    let message: unknown;
    try {
      message = JSON.parse(data);
    } catch {
      return;
    }
    if (typeof message !== 'object' || message === null || !('envelope_id' in message) || typeof message.envelope_id !== 'string') return;
    const settle = this.waitingAcks.get(message.envelope_id);
    const payload = 'payload' in message ? message.payload : null;
    settle?.(true, isEmptyObject(payload) ? null : payload);
  }
}

function isEmptyObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length === 0;
}
