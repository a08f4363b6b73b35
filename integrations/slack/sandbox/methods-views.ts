/**
 * views.open, views.update and views.publish (https://docs.slack.dev/reference/methods/), for the
 * tuneloop app's modals and App Home. Checked as Slack checks them: a trigger id of the form
 * "12345.98765.abcd2358fdea"; one the sandbox handed out (in a slash command or an interaction)
 * expires 3 seconds after it was sent and opens one view only (expired_trigger_id,
 * exchanged_trigger_id; https://docs.slack.dev/interactivity/handling-user-interaction#modal_responses),
 * while a well-formed one it never issued is taken as before unless listed in
 * `store.expiredTriggerIds`; a modal title of plain_text up to 24 characters, up to 100 blocks,
 * App Home views of type "home", and `hash` to refuse updates based on a stale view (hash_conflict).
 */
import { createHash } from 'node:crypto';
import { viewJson, type Json } from './json.ts';
import { jsonArg, stringArg } from './params.ts';
import { slackError, type MethodContext, type MethodSpec } from './state.ts';
import type { StoredView } from './store.ts';

const MAX_VIEW_BLOCKS = 100;
const MAX_TITLE = 24;
/** "Triggers expire in three seconds" (https://docs.slack.dev/interactivity/handling-user-interaction). */
export const TRIGGER_TTL_MS = 3000;

function invalid(message: string, pointer: string): { error: Json } {
  return { error: slackError('invalid_arguments', { response_metadata: { messages: [`[ERROR] ${message} [json-pointer:/view${pointer}]`] } }) };
}

type Checked = { view: Record<string, unknown> } | { error: Json };

/** The `view` argument, checked; or Slack's error. */
function viewArg(ctx: MethodContext, type: 'modal' | 'home'): Checked {
  const raw = jsonArg(ctx.params, 'view');
  if (!raw.present || raw.invalid || typeof raw.value !== 'object' || raw.value === null || Array.isArray(raw.value)) {
    return { error: slackError('invalid_arguments', { response_metadata: { messages: ['[ERROR] missing or invalid view [json-pointer:/view]'] } }) };
  }
  const view = raw.value as Record<string, unknown>;
  if (view.type !== type) return invalid(`must be "${type}"`, '/type');
  if (!Array.isArray(view.blocks)) return invalid('missing required field: blocks', '');
  if (view.blocks.length > MAX_VIEW_BLOCKS) return invalid(`no more than ${MAX_VIEW_BLOCKS} items allowed`, '/blocks');
  if (type === 'modal') {
    const title = view.title as { type?: unknown; text?: unknown } | undefined;
    if (title?.type !== 'plain_text' || typeof title.text !== 'string') return invalid('missing required field: title', '');
    if (title.text.length > MAX_TITLE) return invalid(`must be less than ${MAX_TITLE + 1} characters`, '/title/text');
  }
  return { view };
}

export function newHash(seed: string): string {
  return `${Math.floor(Date.now() / 1000)}.${createHash('sha1').update(`${seed}:${Math.random()}`).digest('hex').slice(0, 8)}`;
}

function store(ctx: MethodContext, method: 'views.open' | 'views.update' | 'views.publish', view: StoredView): Json {
  ctx.state.store.views.set(view.id, view);
  ctx.state.store.viewLog.push({ method, viewId: view.id, view: view.view, time: new Date() });
  return { ok: true, view: viewJson(ctx.state.store, view, ctx.state.bot) };
}

// https://docs.slack.dev/reference/methods/views.open
export const viewsOpen: MethodSpec = {
  tier: 4,
  json: true,
  scopes: () => null,
  run(ctx) {
    const trigger = stringArg(ctx.params, 'trigger_id');
    if (!trigger || !/^\d+\.\d+\.[0-9a-f]+$/.test(trigger)) return slackError('invalid_trigger_id');
    if (ctx.state.store.expiredTriggerIds.has(trigger)) return slackError('expired_trigger_id');
    const issued = ctx.state.store.triggers.get(trigger);
    if (issued?.exchanged) return slackError('exchanged_trigger_id');
    if (issued && ctx.state.clock() - issued.issuedAt > TRIGGER_TTL_MS) return slackError('expired_trigger_id');
    const checked = viewArg(ctx, 'modal');
    if ('error' in checked) return checked.error;
    if (issued) issued.exchanged = true;
    const { view } = checked;
    const id = ctx.state.store.allocateViewId();
    const externalId = typeof view.external_id === 'string' ? view.external_id : null;
    return store(ctx, 'views.open', { id, type: 'modal', view, hash: newHash(id), userId: issued?.userId ?? null, rootViewId: id, previousViewId: null, externalId, open: true, errors: null });
  },
};

// https://docs.slack.dev/reference/methods/views.update
export const viewsUpdate: MethodSpec = {
  tier: 4,
  json: true,
  scopes: () => null,
  run(ctx) {
    const viewId = stringArg(ctx.params, 'view_id');
    const externalId = stringArg(ctx.params, 'external_id');
    const existing = viewId
      ? ctx.state.store.views.get(viewId)
      : [...ctx.state.store.views.values()].find((candidate) => externalId !== null && candidate.externalId === externalId);
    if (!existing) return slackError('not_found');
    const hash = stringArg(ctx.params, 'hash');
    if (hash !== null && hash !== existing.hash) return slackError('hash_conflict');
    const checked = viewArg(ctx, existing.type);
    if ('error' in checked) return checked.error;
    const { view } = checked;
    return store(ctx, 'views.update', { ...existing, view, hash: newHash(existing.id), errors: null });
  },
};

// https://docs.slack.dev/reference/methods/views.publish: one App Home view per user.
export const viewsPublish: MethodSpec = {
  tier: 4,
  json: true,
  scopes: () => null,
  run(ctx) {
    const userId = stringArg(ctx.params, 'user_id');
    if (!userId || !ctx.state.store.users.has(userId)) return slackError('user_not_found');
    const existing = ctx.state.store.homeView(userId);
    const hash = stringArg(ctx.params, 'hash');
    if (existing && hash !== null && hash !== existing.hash) return slackError('hash_conflict');
    const checked = viewArg(ctx, 'home');
    if ('error' in checked) return checked.error;
    const { view } = checked;
    const id = existing?.id ?? ctx.state.store.allocateViewId();
    return store(ctx, 'views.publish', { id, type: 'home', view, hash: newHash(id), userId, rootViewId: id, previousViewId: null, externalId: null, open: true, errors: null });
  },
};
