/**
 * The Slack app manifest: the `/tuneloop` command, interactivity, the App Home tab, the events the
 * app subscribes to, and exactly the bot scopes it uses. Paste it at api.slack.com/apps → Create New
 * App → From an app manifest. https://docs.slack.dev/reference/app-manifest
 */
import { stringify } from 'yaml';

/** Each scope with what needs it, so nobody has to guess why the app asks for it. */
export const BOT_SCOPES: Record<string, string> = {
  commands: 'the /tuneloop command',
  'chat:write': 'alerts, run and retraining messages, updating them in place',
  'channels:history': 'harvesting public support channels; message events there',
  'groups:history': 'harvesting private support channels; message events there',
  'users:read': 'authors of harvested messages (for the PII scrubber)',
  'users:read.email': 'authors\' emails, so the scrubber can remove them',
  'usergroups:read': 'roles granted to user groups; the agents group of a harvest',
  'files:read': 'documents shared in support channels, whose text is scanned for compliance',
};

export const EVENTS = ['message.channels', 'message.groups', 'app_home_opened'];

export function slackAppManifest(options: { name?: string; url?: string; socketMode: boolean }): string {
  const events = `${options.url?.replace(/\/+$/, '')}/slack/events`;
  const http = !options.socketMode && options.url;
  const manifest = {
    display_information: { name: options.name ?? 'tuneloop', description: 'Retrain, watch, compare and promote fine-tuned models; act on compliance alerts.' },
    features: {
      app_home: { home_tab_enabled: true, messages_tab_enabled: false, messages_tab_read_only_enabled: true },
      bot_user: { display_name: options.name ?? 'tuneloop', always_online: true },
      slash_commands: [{ command: '/tuneloop', description: 'retrain, runs, promote, alerts, draft … (help lists all)', usage_hint: 'help', should_escape: false, ...(http ? { url: events } : {}) }],
    },
    oauth_config: { scopes: { bot: Object.keys(BOT_SCOPES) } },
    settings: {
      event_subscriptions: { ...(http ? { request_url: events } : {}), bot_events: EVENTS },
      interactivity: { is_enabled: true, ...(http ? { request_url: events } : {}) },
      org_deploy_enabled: false,
      socket_mode_enabled: options.socketMode,
      token_rotation_enabled: false,
    },
  };
  const why = Object.entries(BOT_SCOPES).map(([scope, reason]) => `#   ${scope}: ${reason}`).join('\n');
  return `# tuneloop Slack app manifest (${options.socketMode ? 'Socket Mode' : 'HTTP mode'}).\n# Bot scopes and why:\n${why}\n${stringify(manifest)}`;
}
