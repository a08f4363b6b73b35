/**
 * Turns vendor-neutral sandbox threads into a Slack workspace: thread n goes to channel
 * (n - 1) mod channels, as a top-level customer message with the agent's and bot's answers as
 * thread replies. Slack has no internal notes (everyone in the channel sees a thread), so the
 * threads' internal turns are left out; support teams keep those in a separate channel.
 *
 * Variety the harvest must cope with, all derived from the thread number so a seed always gives the
 * same workspace: a channel_join event before a customer's first post in a channel, a file on every
 * seventh request, an edited request every eleventh, a broadcast agent reply (thread_broadcast)
 * every thirteenth, and two kinds of bots: an app's bot user (bot_id + user) on even threads and a
 * legacy integration (subtype bot_message, username, no user) on odd ones.
 */
import type { SandboxPerson, SandboxThread } from '../../sandbox-kit/data.ts';
import type { SlackSandboxStore, StoredChannel, StoredFile, StoredUser } from './store.ts';
import { tsFromMicros, tsMicros } from '../timestamps.ts';

export interface SandboxChannelInput {
  id: string;
  name: string;
  isPrivate?: boolean;
}

export const DEFAULT_CHANNELS: SandboxChannelInput[] = [
  { id: 'C0SUPPORT01', name: 'support' },
  { id: 'C0SUPPORT02', name: 'support-emea' },
  { id: 'C0VIPSUPP01', name: 'vip-support', isPrivate: true },
];

export const SUPPORT_GROUP_ID = 'S0SUPPORT01';
export const APP_BOT = { userId: 'U0TUNELOOP', botId: 'B0TUNELOOP', appId: 'A0TUNELOOP', name: 'tuneloop' } as const;
export const HELPER_BOT = { userId: 'U0SUPPBOT1', botId: 'B0SUPPBOT1', appId: 'A0SUPPBOT1', name: 'Support Bot' } as const;
export const LEGACY_BOT = { botId: 'B0LEGACY01', username: 'Helpdesk Notifier' } as const;

const WORKSPACE_CREATED = new Date('2024-12-02T09:00:00Z');

function handleFor(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '.');
}

export function seedWorkspace(store: SlackSandboxStore, threads: SandboxThread[], channelInputs: SandboxChannelInput[]): void {
  const updated = Math.floor(WORKSPACE_CREATED.getTime() / 1000);
  const addUser = (user: Omit<StoredUser, 'teamId' | 'deleted' | 'locale' | 'updated'>) => {
    const stored: StoredUser = { ...user, teamId: store.team.id, deleted: false, locale: 'en-US', updated };
    store.users.set(stored.id, stored);
    return stored;
  };
  const bot = (info: { userId: string; botId: string; appId: string; name: string }) =>
    addUser({ id: info.userId, name: handleFor(info.name), realName: info.name, email: null, phone: null, kind: 'bot', botId: info.botId, appId: info.appId, isRestricted: false });
  bot(APP_BOT);
  bot(HELPER_BOT);
  store.botUserId = APP_BOT.userId;

  const byEmail = new Map<string, StoredUser>();
  let agents = 0;
  let customers = 0;
  const userFor = (person: SandboxPerson, kind: 'agent' | 'customer'): StoredUser => {
    const existing = byEmail.get(person.email);
    if (existing) return existing;
    const id = kind === 'agent' ? `U0AGENT${String(++agents).padStart(3, '0')}` : `U1${String(++customers).padStart(8, '0')}`;
    const user = addUser({ id, name: handleFor(person.name), realName: person.name, email: person.email, phone: person.phone, kind, botId: null, appId: null, isRestricted: kind === 'customer' });
    byEmail.set(person.email, user);
    return user;
  };

  const channels: StoredChannel[] = channelInputs.map((input) =>
    store.addChannel({ id: input.id, name: input.name, isPrivate: input.isPrivate ?? false, created: WORKSPACE_CREATED, creator: APP_BOT.userId, purpose: 'Customer questions; one thread per request.' }),
  );
  for (const channel of channels) {
    channel.members.add(APP_BOT.userId);
    channel.members.add(HELPER_BOT.userId);
  }
  const agentIds = new Set<string>();

  for (const thread of threads) {
    const channel = channels[(thread.number - 1) % channels.length];
    if (!channel) throw new Error('the Slack sandbox needs at least one channel');
    const customer = userFor(thread.customer, 'customer');
    const agent = userFor(thread.agent, 'agent');
    agentIds.add(agent.id);
    for (const member of [customer, agent]) {
      if (channel.members.has(member.id)) continue;
      channel.members.add(member.id);
      // Joined a minute before their first post; agents are in every channel from its start.
      const at = new Date(member.kind === 'agent' ? WORKSPACE_CREATED.getTime() + channel.members.size * 1000 : thread.createdAt.getTime() - 60_000);
      store.addMessage(channel.id, { user: member.id, subtype: 'channel_join', text: `<@${member.id}> has joined the channel`, at });
    }
    seedThread(store, channel, thread, { customer, agent });
  }
  store.userGroups.set(SUPPORT_GROUP_ID, { handle: 'support-team', name: 'Support team', users: [...agentIds].sort() });
}

function seedThread(store: SlackSandboxStore, channel: StoredChannel, thread: SandboxThread, people: { customer: StoredUser; agent: StoredUser }): void {
  const [first, ...rest] = thread.turns;
  if (!first) return;
  const files: StoredFile[] =
    thread.number % 7 === 0
      ? [{ id: store.allocateFileId(), name: `screenshot-${thread.number}.png`, title: 'Screenshot', mimetype: 'image/png', filetype: 'png', size: 48_213, created: Math.floor(first.at.getTime() / 1000), user: people.customer.id }]
      : [];
  const parent = store.addMessage(channel.id, { user: people.customer.id, text: first.body, files, at: first.at });
  if (thread.number % 11 === 0) {
    // Edited two minutes later (a typo fixed): Slack keeps the ts and adds `edited`.
    parent.edited = { user: people.customer.id, ts: tsFromMicros(tsMicros(parent.ts) + 120_000_000) };
  }
  let broadcastDone = false;
  for (const turn of rest) {
    if (turn.kind === 'internal') continue;
    if (turn.kind === 'bot') {
      const asApp = thread.number % 2 === 0;
      store.addMessage(channel.id, {
        ...(asApp ? { user: HELPER_BOT.userId, botId: HELPER_BOT.botId, appId: HELPER_BOT.appId } : { botId: LEGACY_BOT.botId, username: LEGACY_BOT.username, subtype: 'bot_message' }),
        text: turn.body,
        threadTs: parent.ts,
        at: turn.at,
      });
      continue;
    }
    const user = turn.kind === 'agent' ? people.agent : people.customer;
    const broadcast: boolean = turn.kind === 'agent' && !broadcastDone && thread.number % 13 === 0;
    broadcastDone ||= broadcast;
    store.addMessage(channel.id, { user: user.id, text: turn.body, threadTs: parent.ts, at: turn.at, ...(broadcast ? { subtype: 'thread_broadcast' } : {}) });
  }
}
