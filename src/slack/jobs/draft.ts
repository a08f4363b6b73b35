/** `slack.draft`: the draft preview (src/serving/drafts/preview.ts), answered at the command's response_url. */
import { respondInSlack } from '../../../integrations/registry.ts';
import type { SlackReply } from '../../../integrations/types.ts';
import type { HubDeps } from '../../deps.ts';
import { createInferenceClient, ModelRequestError, ModelUnavailableError } from '../../models/inference/client.ts';
import type { JobHandler } from '../../queue/queue.ts';
import { previewDraft, type DraftPreview } from '../../serving/drafts/preview.ts';
import { escapeText } from '../context.ts';

const QUOTE_CHARS = 280;

export function draftReply(preview: DraftPreview): SlackReply {
  if (!preview.ok) return { text: `No draft: ${escapeText(preview.reason)}.` };
  const quote = (text: string) => `> ${escapeText(text.slice(0, QUOTE_CHARS)).replace(/\n/g, '\n> ')}${text.length > QUOTE_CHARS ? '…' : ''}`;
  const sources = preview.sources.length
    ? preview.sources.map((source, i) => `${i + 1}. conversation \`${source.conversationId}\`: ${escapeText(source.question.slice(0, 120))}`).join('\n')
    : '_none: retrieval found no similar resolved conversation_';
  const about = preview.conversation ? `ticket ${escapeText(preview.conversation.sourceId)}${preview.conversation.subject ? ` (${escapeText(preview.conversation.subject.slice(0, 80))})` : ''}` : 'your message';
  const text = `*Draft for ${about}* by model \`${preview.modelId}\`\n${quote(preview.text)}\n*Retrieved sources*\n${sources}`;
  return { text: text.slice(0, 2900), blocks: [{ type: 'section', text: { type: 'mrkdwn', text: text.slice(0, 2900) } }] };
}

export function slackDraftHandler(deps: HubDeps): JobHandler<'slack.draft'> {
  const inference = createInferenceClient({ config: deps.config, log: deps.log });
  return async (payload, job) => {
    let reply: SlackReply;
    try {
      const preview = await previewDraft({ db: deps.database.db, inference, retrieval: deps.config.RETRIEVAL_TASKS.includes('reply') }, 'conversationId' in payload ? { conversationId: payload.conversationId } : { text: payload.text }, job.signal);
      reply = draftReply(preview);
    } catch (error) {
      if (!(error instanceof ModelUnavailableError || error instanceof ModelRequestError)) throw error;
      reply = { text: `No draft: the model did not answer (${escapeText(error.message)}). Try again in a minute.` };
    }
    await respondInSlack(payload.responseUrl, reply, deps.config.SLACK_API_URL);
  };
}
