/**
 * The payloads Slack sends an app when a user acts, built from the sandbox's records:
 * - slash commands: https://docs.slack.dev/interactivity/implementing-slash-commands (fields as
 *   strings: a form over HTTP, a JSON object in Socket Mode);
 * - block_actions: https://docs.slack.dev/reference/interaction-payloads/block_actions-payload
 *   (container, the message or view, channel, user, actions[] with action_ts, response_url for
 *   messages, trigger_id);
 * - view_submission and view_closed:
 *   https://docs.slack.dev/reference/interaction-payloads/view-interactions-payload
 *   (the view with state.values[block_id][action_id] in each element type's shape).
 * A block or element without an id gets a stable generated one, as Slack generates them.
 */
import { createHash } from 'node:crypto';
import { messageJson, viewJson, type Json } from './json.ts';
import type { SandboxState } from './state.ts';
import type { StoredChannel, StoredMessage, StoredView } from './store.ts';
import { tsFromMicros } from '../timestamps.ts';

/** Not a secret: the deprecated verification token Slack still puts in every payload. */
export const SANDBOX_VERIFICATION_TOKEN = 'sandbox-verification-token';

/** What a test may put in a view's input: text, a selected option's value, several values, a number. */
export type ViewInputValue = string | number | string[] | null;
export type ViewValues = Record<string, Record<string, ViewInputValue>>;

type Block = Record<string, unknown>;
type Element = Record<string, unknown> & { type: string };

export function teamJson(state: SandboxState): Json {
  return { id: state.store.team.id, domain: state.store.team.domain };
}

export function userRef(state: SandboxState, userId: string): Json {
  const user = state.store.users.get(userId);
  if (!user) throw new Error(`sandbox has no user ${userId}`);
  return { id: user.id, username: user.name, name: user.name, team_id: user.teamId };
}

/** An action_ts or event_ts: now, in Slack's "seconds.micros" form. */
export function nowTs(state: SandboxState): string {
  return tsFromMicros(state.clock() * 1000);
}

export function slashCommandPayload(state: SandboxState, input: { userId: string; channel: StoredChannel; command: string; text: string; responseUrl: string; triggerId: string }): Record<string, string> {
  const { store, bot } = state;
  const user = store.users.get(input.userId);
  if (!user) throw new Error(`sandbox has no user ${input.userId}`);
  return {
    token: SANDBOX_VERIFICATION_TOKEN,
    team_id: store.team.id,
    team_domain: store.team.domain,
    channel_id: input.channel.id,
    channel_name: input.channel.name,
    user_id: user.id,
    user_name: user.name,
    command: input.command,
    text: input.text,
    api_app_id: bot.appId,
    is_enterprise_install: 'false',
    response_url: input.responseUrl,
    trigger_id: input.triggerId,
  };
}

function stableId(seed: string, length: number): string {
  return createHash('sha1').update(seed).digest('base64url').replace(/[-_]/g, 'x').slice(0, length);
}

export function blockIdOf(block: Block, index: number): string {
  return typeof block.block_id === 'string' ? block.block_id : stableId(`block:${index}:${JSON.stringify(block)}`, 5);
}

function actionIdOf(element: Element, blockId: string, index: number): string {
  return typeof element.action_id === 'string' ? element.action_id : stableId(`action:${blockId}:${index}`, 5);
}

function isElement(value: unknown): value is Element {
  return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string';
}

/** The interactive elements of a list of blocks, with the ids Slack reports them under. */
function elementsOf(blocks: unknown[]): { blockId: string; actionId: string; element: Element; inInput: boolean }[] {
  const found: { blockId: string; actionId: string; element: Element; inInput: boolean }[] = [];
  blocks.forEach((raw, index) => {
    if (typeof raw !== 'object' || raw === null) return;
    const block = raw as Block;
    const blockId = blockIdOf(block, index);
    const candidates = block.type === 'actions' && Array.isArray(block.elements) ? block.elements : [block.type === 'input' ? block.element : block.accessory];
    candidates.forEach((element, position) => {
      if (isElement(element)) found.push({ blockId, actionId: actionIdOf(element, blockId, position), element, inInput: block.type === 'input' });
    });
  });
  return found;
}

/** The button a user clicks: by action_id, and by block_id and value where several share it. */
export function findButton(blocks: unknown[], wanted: { actionId: string; blockId?: string; value?: string }): { blockId: string; element: Element } {
  const matches = elementsOf(blocks).filter(
    ({ blockId, actionId, element }) => element.type === 'button' && actionId === wanted.actionId && (wanted.blockId === undefined || blockId === wanted.blockId) && (wanted.value === undefined || element.value === wanted.value),
  );
  const [match] = matches;
  if (!match) throw new Error(`no button with action_id ${wanted.actionId}${wanted.blockId ? ` in block ${wanted.blockId}` : ''}${wanted.value !== undefined ? ` and value ${wanted.value}` : ''}`);
  if (matches.length > 1) throw new Error(`${matches.length} buttons have action_id ${wanted.actionId}: name the block or the value`);
  return { blockId: match.blockId, element: match.element };
}

export function buttonAction(state: SandboxState, button: { blockId: string; element: Element }): Json {
  const { element } = button;
  const action: Json = { action_id: element.action_id, block_id: button.blockId, text: element.text, type: 'button', action_ts: nowTs(state) };
  if (element.value !== undefined) action.value = element.value;
  if (element.style !== undefined) action.style = element.style;
  return action;
}

function optionsOf(element: Element): Json[] {
  const options = Array.isArray(element.options) ? element.options : [];
  const grouped = Array.isArray(element.option_groups) ? element.option_groups.flatMap((group: { options?: unknown }) => (Array.isArray(group.options) ? group.options : [])) : [];
  return [...options, ...grouped].filter((option): option is Json => typeof option === 'object' && option !== null);
}

function option(element: Element, value: string, where: string): Json {
  if (element.type.includes('external')) return { text: { type: 'plain_text', text: value, emoji: true }, value };
  const found = optionsOf(element).find((candidate) => candidate.value === value);
  if (!found) throw new Error(`${where} has no option "${value}"`);
  return found;
}

const list = (value: ViewInputValue): string[] => (Array.isArray(value) ? value : value === null ? [] : [String(value)]);
const single = (value: ViewInputValue): string | null => (value === null ? null : Array.isArray(value) ? (value[0] ?? null) : String(value));

/** One element's state, in the shape Slack gives its type; `value` null: left empty. */
function elementState(element: Element, value: ViewInputValue, where: string): Json {
  const { type } = element;
  const one = single(value);
  switch (type) {
    case 'static_select':
    case 'external_select':
    case 'radio_buttons':
    case 'overflow':
      return { type, selected_option: one === null ? null : option(element, one, where) };
    case 'multi_static_select':
    case 'multi_external_select':
    case 'checkboxes':
      return { type, selected_options: list(value).map((item) => option(element, item, where)) };
    case 'users_select':
      return { type, selected_user: one };
    case 'multi_users_select':
      return { type, selected_users: list(value) };
    case 'conversations_select':
      return { type, selected_conversation: one };
    case 'multi_conversations_select':
      return { type, selected_conversations: list(value) };
    case 'channels_select':
      return { type, selected_channel: one };
    case 'multi_channels_select':
      return { type, selected_channels: list(value) };
    case 'datepicker':
      return { type, selected_date: one };
    case 'timepicker':
      return { type, selected_time: one };
    case 'datetimepicker':
      return { type, selected_date_time: one === null ? null : Number(one) };
    case 'rich_text_input':
      return { type, rich_value: one === null ? null : { type: 'rich_text', elements: [{ type: 'rich_text_section', elements: [{ type: 'text', text: one }] }] } };
    default:
      // plain_text_input, number_input, email_text_input, url_text_input: the text as typed.
      return { type, value: one };
  }
}

/** state.values of a view: every stateful element, empty unless `values` fills it. Unknown ids are a test's mistake. */
export function viewStateValues(view: StoredView, values: ViewValues = {}): Record<string, Record<string, Json>> {
  const blocks = Array.isArray(view.view.blocks) ? view.view.blocks : [];
  const state: Record<string, Record<string, Json>> = {};
  const known = new Set<string>();
  for (const { blockId, actionId, element, inInput } of elementsOf(blocks)) {
    if (element.type === 'button' || element.type === 'image' || element.type === 'workflow_button') continue;
    known.add(`${blockId}/${actionId}`);
    const given = values[blockId]?.[actionId];
    if (given === undefined && !inInput) continue;
    state[blockId] = { ...state[blockId], [actionId]: elementState(element, given ?? null, `view ${view.id} ${blockId}/${actionId}`) };
  }
  for (const [blockId, actions] of Object.entries(values)) {
    for (const actionId of Object.keys(actions)) {
      if (!known.has(`${blockId}/${actionId}`)) throw new Error(`view ${view.id} has no input ${blockId}/${actionId}`);
    }
  }
  return state;
}

export function viewPayloadJson(state: SandboxState, view: StoredView, values?: ViewValues): Json {
  return { ...viewJson(state.store, view, state.bot), state: { values: viewStateValues(view, values) } };
}

export function blockActionsFromMessage(state: SandboxState, input: { userId: string; channel: StoredChannel; message: StoredMessage; action: Json; responseUrl: string; triggerId: string; origin: string }): Json {
  const { store, bot } = state;
  const { channel, message } = input;
  return {
    type: 'block_actions',
    user: userRef(state, input.userId),
    api_app_id: bot.appId,
    token: SANDBOX_VERIFICATION_TOKEN,
    container: { type: 'message', message_ts: message.ts, channel_id: channel.id, is_ephemeral: false, ...(message.threadTs && message.threadTs !== message.ts ? { thread_ts: message.threadTs } : {}) },
    trigger_id: input.triggerId,
    team: teamJson(state),
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: channel.id, name: channel.name },
    message: messageJson(store, channel, message, { origin: input.origin, withThreadSummary: false, missingFields: false }),
    state: { values: {} },
    response_url: input.responseUrl,
    actions: [input.action],
  };
}

export function blockActionsFromView(state: SandboxState, input: { userId: string; view: StoredView; action: Json; triggerId: string }): Json {
  return {
    type: 'block_actions',
    user: userRef(state, input.userId),
    api_app_id: state.bot.appId,
    token: SANDBOX_VERIFICATION_TOKEN,
    container: { type: 'view', view_id: input.view.id },
    trigger_id: input.triggerId,
    team: teamJson(state),
    enterprise: null,
    is_enterprise_install: false,
    view: viewPayloadJson(state, input.view),
    actions: [input.action],
  };
}

export function viewSubmissionPayload(state: SandboxState, input: { userId: string; view: StoredView; values?: ViewValues; triggerId: string }): Json {
  return {
    type: 'view_submission',
    team: teamJson(state),
    user: userRef(state, input.userId),
    api_app_id: state.bot.appId,
    token: SANDBOX_VERIFICATION_TOKEN,
    trigger_id: input.triggerId,
    view: viewPayloadJson(state, input.view, input.values),
    response_urls: [],
    is_enterprise_install: false,
    enterprise: null,
  };
}

export function viewClosedPayload(state: SandboxState, input: { userId: string; view: StoredView }): Json {
  return {
    type: 'view_closed',
    team: teamJson(state),
    user: userRef(state, input.userId),
    api_app_id: state.bot.appId,
    token: SANDBOX_VERIFICATION_TOKEN,
    view: viewPayloadJson(state, input.view),
    is_cleared: false,
    is_enterprise_install: false,
    enterprise: null,
  };
}
