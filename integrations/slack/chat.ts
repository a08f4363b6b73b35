/**
 * Posting and updating the app's own messages (compliance alerts, progress): chat.postMessage
 * once, then chat.update on the same ts for every later state. Blocks go as JSON text, which
 * Slack's form-encoded arguments accept.
 */
import { z } from 'zod';
import type { RetryPolicy } from '../common/retry.ts';
import type { AppChat, VendorLogger } from '../types.ts';
import { SlackApi } from './client.ts';
import { DEFAULT_API_URL } from './settings.ts';

export interface SlackChatOptions {
  token: string;
  apiUrl?: string;
  retryPolicy?: Partial<RetryPolicy>;
  log?: VendorLogger;
}

const Posted = z.object({ ok: z.literal(true), channel: z.string(), ts: z.string() });

export function createSlackChat(options: SlackChatOptions): AppChat {
  const api = new SlackApi(options.apiUrl ?? DEFAULT_API_URL, options.token, {
    ...(options.retryPolicy ? { retryPolicy: options.retryPolicy } : {}),
    ...(options.log ? { log: options.log } : {}),
  });
  return {
    // https://docs.slack.dev/reference/methods/chat.postMessage
    async post(message, signal) {
      const result = await api.call('chat.postMessage', { channel: message.channel, text: message.text, blocks: JSON.stringify(message.blocks), unfurl_links: false }, Posted, { what: `post to channel ${message.channel} (chat.postMessage)`, channel: message.channel }, signal);
      return { channel: result.channel, ts: result.ts };
    },
    // https://docs.slack.dev/reference/methods/chat.update
    async update(message, signal) {
      const result = await api.call('chat.update', { channel: message.channel, ts: message.ts, text: message.text, blocks: JSON.stringify(message.blocks) }, Posted, { what: `update a message in channel ${message.channel} (chat.update)`, channel: message.channel }, signal);
      return { channel: result.channel, ts: result.ts };
    },
  };
}
