/**
 * Messages an app sends back to where a user acted: a slash command's ack body, and posts to a
 * response_url (https://docs.slack.dev/interactivity/handling-user-interaction#message_responses).
 * A response_url takes up to 5 posts within 30 minutes
 * (https://docs.slack.dev/interactivity/implementing-slash-commands); after that the sandbox answers
 * 404 used_url / expired_url. A message is ephemeral (seen by the acting user only) unless
 * response_type is in_channel; replace_original and delete_original act on the message whose
 * button was clicked (or the last in_channel answer to a command). Everything lands in
 * `store.responses`; in_channel messages and replacements also change the channel.
 */
import { randomBytes } from 'node:crypto';
import type { Context } from 'hono';
import type { ResponseMessage, ResponseUrlGrant } from './records.ts';
import type { SandboxState } from './state.ts';

const MAX_USES = 5;
const LIFETIME_MS = 30 * 60 * 1000;

export function issueResponseUrl(state: SandboxState, baseUrl: string, grant: { channelId: string; userId: string; originTs: string | null }): { url: string; grant: ResponseUrlGrant } {
  const id = randomBytes(12).toString('hex');
  const issued: ResponseUrlGrant = { id, ...grant, lastPostedTs: null, issuedAt: state.clock(), uses: 0 };
  state.store.responseUrls.set(id, issued);
  return { url: `${baseUrl}/response/${id}`, grant: issued };
}

const flag = (value: unknown) => value === true || value === 'true';

/** Applies an answer (an ack body or a response_url post) and records it; null when it carries no message. */
export function applyAnswer(state: SandboxState, grant: ResponseUrlGrant, body: unknown, source: ResponseMessage['source']): ResponseMessage | null {
  const answer: Record<string, unknown> = typeof body === 'string' ? { text: body } : typeof body === 'object' && body !== null && !Array.isArray(body) ? { ...body } : {};
  const text = typeof answer.text === 'string' ? answer.text : '';
  const blocks = Array.isArray(answer.blocks) ? answer.blocks : null;
  const deleteOriginal = flag(answer.delete_original);
  const replaceOriginal = flag(answer.replace_original);
  if (!deleteOriginal && !text && !blocks) return null;
  const responseType = answer.response_type === 'in_channel' ? 'in_channel' : 'ephemeral';
  const { store, bot } = state;
  const channel = store.requireChannel(grant.channelId);
  const originalTs = grant.originTs ?? grant.lastPostedTs;
  const original = originalTs ? channel.byTs.get(originalTs) : undefined;
  let applied: ResponseMessage['applied'] = 'ephemeral';
  let ts: string | null = null;
  if ((deleteOriginal || replaceOriginal) && original) {
    ts = original.ts;
    if (deleteOriginal) {
      store.deleteMessage(channel.id, original.ts);
      applied = 'deleted';
    } else {
      original.text = text;
      original.blocks = blocks;
      applied = 'replaced';
      store.posted.push({ method: 'response_url', channel: channel.id, ts: original.ts, threadTs: original.threadTs, user: null, text, blocks, time: new Date(state.clock()) });
    }
  } else if (responseType === 'in_channel' && !deleteOriginal) {
    const threadTs = typeof answer.thread_ts === 'string' ? answer.thread_ts : null;
    const posted = store.addMessage(channel.id, { user: bot.userId, botId: bot.botId, appId: bot.appId, text, blocks, threadTs });
    grant.lastPostedTs = posted.ts;
    applied = 'posted';
    ts = posted.ts;
    store.posted.push({ method: 'response_url', channel: channel.id, ts: posted.ts, threadTs, user: null, text, blocks, time: new Date(state.clock()) });
  }
  const message: ResponseMessage = {
    source,
    responseUrlId: source === 'response_url' ? grant.id : null,
    channel: channel.id,
    user: grant.userId,
    responseType,
    replaceOriginal,
    deleteOriginal,
    text,
    blocks,
    applied,
    ts,
    time: new Date(state.clock()),
  };
  store.responses.push(message);
  return message;
}

/** POST /response/:id, where an app (Bolt's `respond`) sends JSON. */
export function responseUrlRoute(state: SandboxState) {
  return async (c: Context): Promise<Response> => {
    const grant = state.store.responseUrls.get(c.req.param('id') ?? '');
    if (!grant) return c.json({ ok: false, error: 'invalid_url' }, 404);
    if (state.clock() - grant.issuedAt > LIFETIME_MS) return c.json({ ok: false, error: 'expired_url' }, 404);
    if (grant.uses >= MAX_USES) return c.json({ ok: false, error: 'used_url' }, 404);
    let body: unknown;
    try {
      body = JSON.parse(await c.req.text());
    } catch {
      return c.json({ ok: false, error: 'invalid_payload' }, 400);
    }
    const message = applyAnswer(state, grant, body, 'response_url');
    if (!message) return c.json({ ok: false, error: 'no_text' }, 400);
    grant.uses++;
    return c.json({ ok: true });
  };
}
