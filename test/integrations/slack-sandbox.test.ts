/**
 * The Slack sandbox on its own: Slack's ways of passing arguments and tokens, {ok: false} errors
 * with HTTP 200, missing_scope with needed/provided, pagination of history and replies, rate-limit
 * tiers with Retry-After policing, and the write methods the tuneloop Slack app will use
 * (chat.postMessage/update/postEphemeral, views.open/update/publish), driven through app.request
 * and through the real @slack/web-api WebClient over loopback.
 */
import { WebClient } from '@slack/web-api';
import { afterEach, describe, expect, it } from 'vitest';
import { createSlackSandbox, DEFAULT_SCOPES, SANDBOX_BOT_TOKEN, type SlackSandbox } from '../../integrations/slack/sandbox/index.ts';

const BEARER = `Bearer ${SANDBOX_BOT_TOKEN}`;
type Answer = { status: number; headers: Headers; json: Record<string, unknown> };

async function post(sandbox: SlackSandbox, method: string, args: Record<string, string>, authorization: string | null = BEARER): Promise<Answer> {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (authorization) headers.authorization = authorization;
  const response = await sandbox.app.request(`http://127.0.0.1/api/${method}`, { method: 'POST', headers, body: new URLSearchParams(args).toString() });
  return { status: response.status, headers: response.headers, json: (await response.json()) as Record<string, unknown> };
}

async function postJson(sandbox: SlackSandbox, method: string, body: unknown, contentType = 'application/json; charset=utf-8'): Promise<Answer> {
  const response = await sandbox.app.request(`http://127.0.0.1/api/${method}`, { method: 'POST', headers: { authorization: BEARER, 'content-type': contentType }, body: JSON.stringify(body) });
  return { status: response.status, headers: response.headers, json: (await response.json()) as Record<string, unknown> };
}

type Message = { ts: string; text: string; subtype?: string; thread_ts?: string; reply_count?: number; latest_reply?: string; user?: string; bot_id?: string };
const messagesOf = (answer: Answer) => answer.json.messages as Message[];

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()?.();
});

describe('slack sandbox: arguments, tokens and scopes', () => {
  const sandbox = createSlackSandbox({ seed: 3, threads: 30 });

  it('takes arguments from GET query strings, forms and (for write methods) JSON', async () => {
    const viaGet = await sandbox.app.request(`http://127.0.0.1/api/conversations.info?channel=C0SUPPORT01&token=${SANDBOX_BOT_TOKEN}`);
    expect(await viaGet.json()).toMatchObject({ ok: true, channel: { id: 'C0SUPPORT01', name: 'support', is_member: true } });
    expect((await post(sandbox, 'conversations.info', { channel: 'C0VIPSUPP01', include_num_members: 'true' })).json).toMatchObject({ ok: true, channel: { is_private: true, num_members: expect.any(Number) } });

    const posted = await postJson(sandbox, 'chat.postMessage', { channel: 'C0SUPPORT01', text: 'Retraining started', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: '*Retraining* started' } }] });
    expect(posted.json).toMatchObject({ ok: true, channel: 'C0SUPPORT01', message: { text: 'Retraining started', bot_id: 'B0TUNELOOP', user: 'U0TUNELOOP' } });
    // Read methods take no JSON: Slack sees no channel at all.
    expect((await postJson(sandbox, 'conversations.history', { channel: 'C0SUPPORT01' })).json).toMatchObject({ ok: false, error: 'channel_not_found' });
    // JSON without a charset works, with Slack's warning.
    const warned = await postJson(sandbox, 'chat.postMessage', { channel: 'C0SUPPORT01', text: 'hi' }, 'application/json');
    expect(warned.json).toMatchObject({ ok: true, warning: 'missing_charset', response_metadata: { warnings: ['missing_charset'] } });
  });

  it('answers token errors with HTTP 200 and ok: false', async () => {
    expect(await post(sandbox, 'auth.test', {}, null)).toMatchObject({ status: 200, json: { ok: false, error: 'not_authed' } });
    expect(await post(sandbox, 'auth.test', {}, 'Bearer xoxb-wrong')).toMatchObject({ status: 200, json: { ok: false, error: 'invalid_auth' } });
    // A token in a JSON body does not count: JSON needs the Authorization header.
    const jsonToken = await sandbox.app.request('http://127.0.0.1/api/chat.postMessage', { method: 'POST', headers: { 'content-type': 'application/json; charset=utf-8' }, body: JSON.stringify({ token: SANDBOX_BOT_TOKEN, channel: 'C0SUPPORT01', text: 'x' }) });
    expect(await jsonToken.json()).toMatchObject({ ok: false, error: 'not_authed' });
    expect((await post(sandbox, 'auth.test', {})).json).toMatchObject({ ok: true, team_id: 'T0SANDBOX1', user_id: 'U0TUNELOOP', bot_id: 'B0TUNELOOP', url: 'https://example-shop.slack.com/' });
    const unknown = await post(sandbox, 'conversations.nope', {});
    expect(unknown).toMatchObject({ status: 404, json: { ok: false, error: 'unknown_method' } });
  });

  it('names the scope a call needs, and what the token has', async () => {
    const narrow = createSlackSandbox({ threads: 3, scopes: ['channels:history', 'chat:write'] });
    const answer = await post(narrow, 'conversations.history', { channel: 'C0VIPSUPP01' });
    expect(answer.json).toEqual({ ok: false, error: 'missing_scope', needed: 'groups:history', provided: 'channels:history,chat:write' });
    expect(answer.headers.get('x-oauth-scopes')).toBe('channels:history,chat:write');
    expect(answer.headers.get('x-accepted-oauth-scopes')).toBe('groups:history');
    expect((await post(narrow, 'users.info', { user: 'U0AGENT001' })).json).toMatchObject({ error: 'missing_scope', needed: 'users:read' });
    narrow.setScopes([...DEFAULT_SCOPES]);
    expect((await post(narrow, 'users.info', { user: 'U0AGENT001' })).json).toMatchObject({ ok: true, user: { id: 'U0AGENT001', profile: { email: expect.stringContaining('@') } } });
    narrow.setScopes(DEFAULT_SCOPES.filter((scope) => scope !== 'users:read.email'));
    const noEmail = (await post(narrow, 'users.info', { user: 'U0AGENT001' })).json as { user: { profile: Record<string, unknown> } };
    expect(noEmail.user.profile.email).toBeUndefined();
  });
});

describe('slack sandbox: history and threads', () => {
  const sandbox = createSlackSandbox({ seed: 3, threads: 60 });
  const channel = sandbox.store.requireChannel('C0SUPPORT01');

  it('lists top-level messages newest first, with threads summarised, in cursor pages', async () => {
    const pages: Message[][] = [];
    let cursor = '';
    do {
      const answer = await post(sandbox, 'conversations.history', { channel: channel.id, limit: '7', ...(cursor ? { cursor } : {}) });
      pages.push(messagesOf(answer));
      cursor = answer.json.has_more ? String((answer.json.response_metadata as { next_cursor: string }).next_cursor) : '';
    } while (cursor);
    const listed = pages.flat();
    expect(pages.slice(0, -1).every((page) => page.length === 7)).toBe(true);
    expect(listed.map((m) => m.ts)).toEqual(channel.topLevel.map((m) => m.ts).reverse());
    expect(listed.some((m) => m.subtype === 'channel_join')).toBe(true);
    expect(listed.some((m) => m.subtype === 'thread_broadcast' && m.thread_ts !== m.ts)).toBe(true);
    const parent = listed.find((m) => (m.reply_count ?? 0) > 0);
    expect(parent).toMatchObject({ thread_ts: parent?.ts, latest_reply: channel.replies.get(parent?.ts ?? '')?.at(-1)?.ts });
  });

  it('honours oldest, latest and inclusive', async () => {
    const [a, b, c] = channel.topLevel.slice(5, 8).map((m) => m.ts);
    const between = await post(sandbox, 'conversations.history', { channel: channel.id, oldest: a ?? '', latest: c ?? '' });
    expect(messagesOf(between).map((m) => m.ts)).toEqual([b]);
    const inclusive = await post(sandbox, 'conversations.history', { channel: channel.id, oldest: a ?? '', latest: c ?? '', inclusive: 'true' });
    expect(messagesOf(inclusive).map((m) => m.ts)).toEqual([c, b, a]);
    expect((await post(sandbox, 'conversations.history', { channel: channel.id, oldest: 'yesterday' })).json).toMatchObject({ error: 'invalid_ts_oldest' });
  });

  it('answers a thread parent first on every page, then replies oldest first', async () => {
    const [parentTs, replies] = [...channel.replies.entries()].find(([, list]) => list.length >= 3) ?? ['', []];
    const first = await post(sandbox, 'conversations.replies', { channel: channel.id, ts: parentTs, limit: '2' });
    expect(messagesOf(first).map((m) => m.ts)).toEqual([parentTs, replies[0]?.ts, replies[1]?.ts]);
    const cursor = (first.json.response_metadata as { next_cursor: string }).next_cursor;
    const second = await post(sandbox, 'conversations.replies', { channel: channel.id, ts: parentTs, limit: '2', cursor });
    expect(messagesOf(second)[0]?.ts).toBe(parentTs);
    expect(messagesOf(second).slice(1).map((m) => m.ts)).toEqual(replies.slice(2, 4).map((m) => m.ts));
    expect((await post(sandbox, 'conversations.replies', { channel: channel.id, ts: '1.000000' })).json).toMatchObject({ ok: false, error: 'thread_not_found' });
  });

  it('keeps channels the bot is not in closed', async () => {
    const outside = createSlackSandbox({ threads: 6, botNotIn: ['C0SUPPORT02', 'C0VIPSUPP01'] });
    expect((await post(outside, 'conversations.history', { channel: 'C0SUPPORT02' })).json).toMatchObject({ error: 'not_in_channel' });
    expect((await post(outside, 'conversations.history', { channel: 'C0VIPSUPP01' })).json).toMatchObject({ error: 'channel_not_found' });
    expect((await post(outside, 'chat.postMessage', { channel: 'C0SUPPORT02', text: 'x' })).json).toMatchObject({ error: 'not_in_channel' });
    outside.setScopes([...DEFAULT_SCOPES, 'chat:write.public']);
    expect((await post(outside, 'chat.postMessage', { channel: 'C0SUPPORT02', text: 'x' })).json).toMatchObject({ ok: true });
  });
});

describe('slack sandbox: rate limits', () => {
  it('refuses past a tier quota with a whole-second Retry-After and records calls made before it', async () => {
    const sandbox = createSlackSandbox({ threads: 3, tierLimits: { windowSeconds: 60, perWindow: { 1: 1, 2: 2, 3: 2, 4: 2, special: 2 } } });
    for (let i = 0; i < 2; i++) expect((await post(sandbox, 'users.list', {})).status).toBe(200);
    const refused = await post(sandbox, 'users.list', {});
    expect(refused.status).toBe(429);
    expect(refused.json).toEqual({ ok: false, error: 'ratelimited' });
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(59);
    expect(sandbox.store.violations).toEqual([]);
    // Other methods have their own quota; calling users.list again too early is a violation.
    expect((await post(sandbox, 'auth.test', {})).status).toBe(200);
    expect((await post(sandbox, 'users.list', {})).status).toBe(429);
    expect(sandbox.store.violations).toEqual([{ method: 'users.list', time: expect.any(Date), allowedAfter: expect.any(Date) }]);
  });

  it('rate-limits chat.postMessage per channel', async () => {
    const sandbox = createSlackSandbox({ threads: 3, tierLimits: { windowSeconds: 60, perWindow: { 1: 1, 2: 20, 3: 50, 4: 100, special: 1 } } });
    expect((await post(sandbox, 'chat.postMessage', { channel: 'C0SUPPORT01', text: 'a' })).status).toBe(200);
    expect((await post(sandbox, 'chat.postMessage', { channel: 'C0SUPPORT02', text: 'b' })).status).toBe(200);
    expect((await post(sandbox, 'chat.postMessage', { channel: 'C0SUPPORT01', text: 'c' })).status).toBe(429);
  });
});

describe('slack sandbox: what the tuneloop app writes, through WebClient', () => {
  async function client(options: Parameters<typeof createSlackSandbox>[0] = {}) {
    const sandbox = createSlackSandbox({ threads: 6, ...options });
    const { apiUrl, close } = await sandbox.listen();
    closers.push(close);
    return { sandbox, web: new WebClient(SANDBOX_BOT_TOKEN, { slackApiUrl: apiUrl, retryConfig: { retries: 0 } }) };
  }

  it('posts, threads, updates and whispers, and keeps what it was sent', async () => {
    const { sandbox, web } = await client();
    const posted = await web.chat.postMessage({ channel: 'C0SUPPORT01', text: 'Retraining started (run 42)' });
    const ts = String(posted.ts);
    const reply = await web.chat.postMessage({ channel: 'C0SUPPORT01', thread_ts: ts, text: 'step 10/100' });
    expect(reply.message).toMatchObject({ thread_ts: ts, parent_user_id: 'U0TUNELOOP' });
    const updated = await web.chat.update({ channel: 'C0SUPPORT01', ts, text: 'Retraining finished (run 42)' });
    expect(updated).toMatchObject({ ok: true, ts, text: 'Retraining finished (run 42)', message: { edited: { user: 'U0TUNELOOP' } } });
    const ephemeral = await web.chat.postEphemeral({ channel: 'C0SUPPORT01', user: 'U0AGENT001', text: 'Only you can see this' });
    expect(ephemeral.message_ts).toMatch(/^\d+\.\d{6}$/);

    expect(sandbox.store.posted.map((entry) => [entry.method, entry.text])).toEqual([
      ['chat.postMessage', 'Retraining started (run 42)'],
      ['chat.postMessage', 'step 10/100'],
      ['chat.update', 'Retraining finished (run 42)'],
      ['chat.postEphemeral', 'Only you can see this'],
    ]);
    const history = await web.conversations.history({ channel: 'C0SUPPORT01', limit: 1 });
    expect(history.messages?.[0]).toMatchObject({ ts, text: 'Retraining finished (run 42)', reply_count: 1 });
    await expect(web.chat.update({ channel: 'C0SUPPORT01', ts: sandbox.store.requireChannel('C0SUPPORT01').topLevel[0]?.ts ?? '', text: 'x' })).rejects.toMatchObject({ data: { error: 'cant_update_message' } });
    await expect(web.chat.postMessage({ channel: 'C0SUPPORT01', text: '' })).rejects.toMatchObject({ data: { error: 'no_text' } });
    await expect(web.chat.postMessage({ channel: 'C0SUPPORT01', text: 'x'.repeat(40_001) })).rejects.toMatchObject({ data: { error: 'msg_too_long' } });
  });

  it('opens and updates modals and publishes App Home views', async () => {
    const { sandbox, web } = await client();
    const view = { type: 'modal' as const, title: { type: 'plain_text' as const, text: 'Retrain model' }, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'Pick a dataset' } }], callback_id: 'retrain' };
    const opened = await web.views.open({ trigger_id: '12345.98765.abcd2358fdea', view });
    expect(opened.view).toMatchObject({ id: expect.stringMatching(/^V/), type: 'modal', callback_id: 'retrain', hash: expect.any(String), app_id: 'A0TUNELOOP' });
    const updated = await web.views.update({ view_id: opened.view?.id ?? '', hash: opened.view?.hash ?? '', view: { ...view, title: { type: 'plain_text', text: 'Retraining…' } } });
    expect(updated.view?.title).toEqual({ type: 'plain_text', text: 'Retraining…' });
    await expect(web.views.update({ view_id: opened.view?.id ?? '', hash: opened.view?.hash ?? '', view })).rejects.toMatchObject({ data: { error: 'hash_conflict' } });
    await expect(web.views.open({ trigger_id: 'not-a-trigger', view })).rejects.toMatchObject({ data: { error: 'invalid_trigger_id' } });
    sandbox.store.expiredTriggerIds.add('1.2.abc');
    await expect(web.views.open({ trigger_id: '1.2.abc', view })).rejects.toMatchObject({ data: { error: 'expired_trigger_id' } });
    await expect(web.views.open({ trigger_id: '1.2.abd', view: { ...view, title: { type: 'plain_text', text: 'A title that is far too long' } } })).rejects.toMatchObject({ data: { error: 'invalid_arguments' } });

    const home = await web.views.publish({ user_id: 'U0AGENT001', view: { type: 'home', blocks: [] } });
    const again = await web.views.publish({ user_id: 'U0AGENT001', view: { type: 'home', blocks: [{ type: 'divider' }] } });
    expect(again.view?.id).toBe(home.view?.id);
    expect(sandbox.store.viewLog.map((entry) => entry.method)).toEqual(['views.open', 'views.update', 'views.publish', 'views.publish']);
  });
});
