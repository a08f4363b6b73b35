/**
 * apps.connections.open (https://docs.slack.dev/reference/methods/apps.connections.open): with the
 * app-level token, which grants connections:write, a one-time WebSocket URL for Socket Mode
 * (https://docs.slack.dev/apis/events-api/using-socket-mode). A bot token gets
 * not_allowed_token_type, as on Slack. Slack's URL is wss://wss-primary.slack.com/link/?ticket=…;
 * the sandbox's is ws://127.0.0.1:<port>/link/?ticket=… on its own loopback server.
 */
import type { MethodSpec } from './state.ts';

// https://docs.slack.dev/reference/methods/apps.connections.open
export const appsConnectionsOpen: MethodSpec = {
  tier: 1,
  json: false,
  tokenTypes: ['app'],
  scopes: () => ({ accepted: ['connections:write'], needed: 'connections:write' }),
  run(ctx) {
    return { ok: true, url: ctx.state.link.open(ctx.origin) };
  },
};
