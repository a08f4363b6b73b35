/**
 * auth.test, users.info, users.list and usergroups.users.list
 * (https://docs.slack.dev/reference/methods/). Emails appear in user profiles only for tokens with
 * users:read.email, as on Slack; locales only when include_locale is true.
 */
import { userJson } from './json.ts';
import { booleanArg, stringArg } from './params.ts';
import { slackError, type MethodContext, type MethodSpec } from './state.ts';

function userOptions(ctx: MethodContext) {
  return { withEmail: ctx.grant.scopes.has('users:read.email'), withLocale: booleanArg(ctx.params, 'include_locale') };
}

// https://docs.slack.dev/reference/methods/auth.test
export const authTest: MethodSpec = {
  tier: 'special',
  json: true,
  scopes: () => null,
  run(ctx) {
    const { store } = ctx.state;
    const user = store.users.get(ctx.state.bot.userId);
    return {
      ok: true,
      url: `https://${store.team.domain}.slack.com/`,
      team: store.team.name,
      user: user?.name ?? ctx.state.bot.name,
      team_id: store.team.id,
      user_id: ctx.state.bot.userId,
      bot_id: ctx.state.bot.botId,
      is_enterprise_install: false,
    };
  },
};

// https://docs.slack.dev/reference/methods/users.info
export const usersInfo: MethodSpec = {
  tier: 4,
  json: false,
  scopes: () => ({ accepted: ['users:read'], needed: 'users:read' }),
  run(ctx) {
    const id = stringArg(ctx.params, 'user');
    const user = id ? ctx.state.store.users.get(id) : undefined;
    if (!user) return slackError('user_not_found');
    const json = userJson(ctx.state.store, user, userOptions(ctx));
    if (ctx.missingFields) delete json.id;
    return { ok: true, user: json };
  },
};

// https://docs.slack.dev/reference/methods/users.list (cursor: base64 "user:<id>", the next page's first user)
export const usersList: MethodSpec = {
  tier: 2,
  json: false,
  scopes: () => ({ accepted: ['users:read'], needed: 'users:read' }),
  run(ctx) {
    const all = [...ctx.state.store.users.values()].sort((a, b) => a.id.localeCompare(b.id));
    const rawLimit = stringArg(ctx.params, 'limit');
    const limit = rawLimit && /^\d+$/.test(rawLimit) && Number(rawLimit) > 0 ? Math.min(1000, Number(rawLimit)) : 1000;
    const rawCursor = stringArg(ctx.params, 'cursor');
    let start = 0;
    if (rawCursor !== null) {
      const id = /^user:(\w+)$/.exec(Buffer.from(rawCursor, 'base64').toString('utf8'))?.[1];
      start = id ? all.findIndex((user) => user.id === id) : -1;
      if (start < 0) return slackError('invalid_cursor');
    }
    const members = all.slice(start, start + limit);
    const next = all[start + limit];
    return {
      ok: true,
      members: members.map((user) => userJson(ctx.state.store, user, userOptions(ctx))),
      cache_ts: Math.floor(Date.now() / 1000),
      response_metadata: { next_cursor: next ? Buffer.from(`user:${next.id}`, 'utf8').toString('base64') : '' },
    };
  },
};

// https://docs.slack.dev/reference/methods/usergroups.users.list
export const usergroupsUsersList: MethodSpec = {
  tier: 2,
  json: false,
  scopes: () => ({ accepted: ['usergroups:read'], needed: 'usergroups:read' }),
  run(ctx) {
    const id = stringArg(ctx.params, 'usergroup');
    const group = id ? ctx.state.store.userGroups.get(id) : undefined;
    if (!group) return slackError('no_such_subteam');
    return { ok: true, users: [...group.users] };
  },
};
