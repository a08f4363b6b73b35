/** Who may do what in the Slack app: the manifest it is installed with, and grants over REST and the CLI. */
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { slackManifest } from '../../integrations/registry.ts';
import { createApp } from '../../src/app.ts';
import { createToken } from '../../src/auth/tokens.ts';
import { grantsFromSetting } from '../../src/slack/permissions.ts';
import { testDeps } from '../support/app.ts';
import { runCli } from '../support/cli.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

describe('Slack app set-up and grants', () => {
  let database: TestDatabase;
  let app: ReturnType<typeof createApp>;
  let token: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    app = createApp(testDeps(database, null, { SLACK_GRANTS: 'admin=U0ADMIN1;viewer=S0GROUP1,U0VIEW01' }));
    token = (await createToken(database.db, 'test', 'test')).token;
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('prints a manifest with the command, interactivity, App Home, the message events and exactly the scopes the app uses', () => {
    const http = parse(slackManifest({ url: 'https://hub.example.com', socketMode: false })) as Record<string, any>;
    expect(http.features.slash_commands[0]).toMatchObject({ command: '/tuneloop', url: 'https://hub.example.com/slack/events' });
    expect(http.settings).toMatchObject({ interactivity: { is_enabled: true, request_url: 'https://hub.example.com/slack/events' }, socket_mode_enabled: false });
    expect(http.settings.event_subscriptions.bot_events).toEqual(['message.channels', 'message.groups', 'app_home_opened']);
    expect(http.features.app_home.home_tab_enabled).toBe(true);
    expect(http.oauth_config.scopes.bot).toEqual(['commands', 'chat:write', 'channels:history', 'groups:history', 'users:read', 'users:read.email', 'usergroups:read', 'files:read']);
    const socket = parse(slackManifest({ socketMode: true })) as Record<string, any>;
    expect(socket.settings.socket_mode_enabled).toBe(true);
    expect(JSON.stringify(socket)).not.toContain('request_url');
  });

  it('reads SLACK_GRANTS, and grants and revokes over REST, audited; bad subjects and roles change nothing', async () => {
    expect(grantsFromSetting('admin=U0ADMIN1;viewer=S0GROUP1, U0VIEW01')).toEqual([
      { subject: 'U0ADMIN1', role: 'admin', source: 'setting' },
      { subject: 'S0GROUP1', role: 'viewer', source: 'setting' },
      { subject: 'U0VIEW01', role: 'viewer', source: 'setting' },
    ]);
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const created = await app.request('/api/v1/slack/grants', { method: 'POST', headers, body: JSON.stringify({ subject: 'U0OPER01', role: 'operator' }) });
    expect(created.status).toBe(201);
    for (const bad of [{ subject: 'bob', role: 'operator' }, { subject: 'U0OPER02', role: 'root' }, { subject: 'U0OPER02' }]) {
      expect((await app.request('/api/v1/slack/grants', { method: 'POST', headers, body: JSON.stringify(bad) })).status).toBe(400);
    }
    const listed = (await (await app.request('/api/v1/slack/grants', { headers })).json()) as { data: Array<{ subject: string; role: string; source: string }> };
    expect(listed.data).toContainEqual({ subject: 'U0OPER01', role: 'operator', source: 'granted' });
    expect(listed.data.filter((grant) => grant.source === 'setting')).toHaveLength(3);
    expect(await (await app.request('/api/v1/slack/grants/U0OPER01/operator', { method: 'DELETE', headers })).json()).toEqual({ removed: 1 });
    expect(((await (await app.request('/api/v1/slack/grants', { headers })).json()) as { data: unknown[] }).data).toHaveLength(3);
  });

  it('the CLI grants, lists and revokes; a bad role exits 2 naming the roles', () => {
    const env = { DATABASE_URL: database.url };
    expect(runCli(['slack', 'grant', 'S0LEADS1', 'operator'], env).stdout).toContain('S0LEADS1 has the operator role');
    expect(runCli(['slack', 'grants'], env).stdout).toContain('S0LEADS1\toperator');
    const bad = runCli(['slack', 'grant', 'S0LEADS1', 'root'], env);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('roles: admin, operator, compliance, viewer');
    expect(runCli(['slack', 'revoke', 'S0LEADS1', 'all'], env).stdout).toContain('revoked 1 role(s)');
  });
});
