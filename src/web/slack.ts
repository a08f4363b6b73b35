/**
 * POST /slack/events — every request of the Slack app in HTTP mode (slash commands,
 * interactivity, events). Not behind the API's tokens: Slack signs each request, and the signature
 * is checked over the raw body before anything is parsed (integrations/slack/app/http-receiver.ts).
 * Answers are never a 5xx: Slack would retry, and people would see an error page.
 */
import { Hono } from 'hono';
import type { InboundRequest, SlackApp } from '../../integrations/types.ts';
import { BodyTooLarge, readBoundedBody } from '../webhooks/body.ts';
import { errorBody } from './errors.ts';

export function slackRoutes(slack: SlackApp | null, configured: { socketMode: boolean }) {
  const app = new Hono();
  app.post('/events', async (c) => {
    if (!slack) {
      const why = configured.socketMode ? 'the Slack app runs in Socket Mode (SLACK_APP_TOKEN): it receives nothing over HTTP' : 'the Slack app is not configured: set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET';
      return c.json(errorBody('not_found', why), 404);
    }
    let body: Uint8Array;
    try {
      body = await readBoundedBody(c.req.raw);
    } catch (error) {
      if (error instanceof BodyTooLarge) return c.json(errorBody('payload_too_large', error.message), 413);
      throw error;
    }
    const request: InboundRequest = { method: c.req.method, url: c.req.url, header: (name) => c.req.header(name), body };
    const answer = await slack.handle(request);
    return c.body(answer.body, answer.status as 200, answer.headers);
  });
  return app;
}
