/**
 * What the hub may do in Slack (SlackAppClient), on @slack/web-api's WebClient, which retries
 * rate-limited calls after Retry-After itself. Replies to a response_url are plain POSTs:
 * https://docs.slack.dev/interactivity/handling-user-interaction#message_responses
 */
import type { WebClient } from '@slack/web-api';
import type { SlackAppClient, SlackReply } from '../../types.ts';

function replyBody(reply: SlackReply) {
  return {
    text: reply.text,
    ...(reply.blocks ? { blocks: reply.blocks } : {}),
    response_type: reply.inChannel ? 'in_channel' : 'ephemeral',
    ...(reply.replaceOriginal !== undefined ? { replace_original: reply.replaceOriginal } : {}),
  };
}

/** Answers through a response_url; only Slack's own hosts (or the configured API's, for the sandbox) are called. */
export async function respondAt(responseUrl: string, reply: SlackReply, apiUrl: string): Promise<void> {
  const host = new URL(responseUrl).host;
  if (host !== 'hooks.slack.com' && host !== new URL(apiUrl).host) throw new Error(`refusing to answer at ${host}: not a Slack response_url`);
  const response = await fetch(responseUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(replyBody(reply)), signal: AbortSignal.timeout(10_000) });
  if (!response.ok) throw new Error(`Slack refused the reply to response_url (${response.status})`);
}

export function slackAppClient(web: WebClient, apiUrl: string): SlackAppClient {
  return {
    respond: (responseUrl, reply) => respondAt(responseUrl, reply, apiUrl),
    // https://docs.slack.dev/reference/methods/chat.postMessage
    async postMessage(message) {
      const result = await web.chat.postMessage({ channel: message.channel, text: message.text, ...(message.blocks ? { blocks: message.blocks as never } : {}), ...(message.threadTs ? { thread_ts: message.threadTs } : {}), unfurl_links: false });
      return { channel: String(result.channel), ts: String(result.ts) };
    },
    // https://docs.slack.dev/reference/methods/chat.update
    async updateMessage(message) {
      await web.chat.update({ channel: message.channel, ts: message.ts, text: message.text, ...(message.blocks ? { blocks: message.blocks as never } : {}) });
    },
    // https://docs.slack.dev/reference/methods/chat.postEphemeral
    async postEphemeral(message) {
      await web.chat.postEphemeral({ channel: message.channel, user: message.user, text: message.text, ...(message.blocks ? { blocks: message.blocks as never } : {}) });
    },
    // https://docs.slack.dev/reference/methods/views.open
    async openView(triggerId, view) {
      const result = await web.views.open({ trigger_id: triggerId, view: view as never });
      return { viewId: String(result.view?.id ?? '') };
    },
    // https://docs.slack.dev/reference/methods/views.publish
    async publishHome(userId, view) {
      await web.views.publish({ user_id: userId, view: view as never });
    },
    // https://docs.slack.dev/reference/methods/usergroups.users.list
    async userGroupMembers(groupId) {
      const result = await web.usergroups.users.list({ usergroup: groupId });
      return (result.users ?? []).map(String);
    },
  };
}
