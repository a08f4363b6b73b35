/**
 * createApp(deps): the Hono app. No I/O at import time, so tests drive it with app.request() and
 * main.ts serves it. Each resource is its own sub-app, mounted here.
 */
import { routePath } from 'hono/route';
import type { AppDeps } from './deps.ts';
import { alertRoutes } from './web/api/alerts.ts';
import { auditRoutes } from './web/api/audit.ts';
import { documentRoutes } from './web/api/documents.ts';
import { complianceFigureRoutes } from './web/api/compliance-figures.ts';
import { connectionRoutes } from './web/api/connections.ts';
import { datasetRoutes } from './web/api/datasets.ts';
import { driftRoutes } from './web/api/drift.ts';
import { retrainingRoutes } from './web/api/retraining.ts';
import { evaluationRoutes } from './web/api/evaluations.ts';
import { evaluationReviewRoutes, reviewRoutes } from './web/api/reviews.ts';
import { draftBatchRoutes } from './web/api/draft-batches.ts';
import { draftRoutes } from './web/api/drafts.ts';
import { eventSubscriptionRoutes } from './web/api/events.ts';
import { fileRoutes } from './web/api/files.ts';
import { fineTuningRoutes } from './web/api/fine-tuning.ts';
import { gdprRoutes } from './web/api/gdpr.ts';
import { harvestRoutes } from './web/api/harvests.ts';
import { recordRequest } from './metrics.ts';
import { apiDocsRoutes } from './web/api-docs.ts';
import { apiApp } from './web/openapi.ts';
import { OpenAPIHono } from '@hono/zod-openapi';
import { requireToken } from './web/auth.ts';
import { handleError, notFound } from './web/errors.ts';
import { healthRoutes } from './web/health.ts';
import { metricsRoutes } from './web/metrics.ts';
import { globalBodyLimit } from './web/body-limit.ts';
import { abTestRoutes, modelRoutes } from './web/api/models.ts';
import { tokenRoutes } from './web/api/tokens.ts';
import { inferenceTokenRoutes, modelAliasRoutes, usageRoutes } from './web/api/inference.ts';
import { slackGrantRoutes } from './web/api/slack-grants.ts';
import { webhookRoutes } from './web/webhooks.ts';
import { slackRoutes } from './web/slack.ts';
import { slackAppFor } from './slack/app.ts';
import { createGateway, type Gateway } from './models/gateway/gateway.ts';
import { openaiRoutes } from './web/openai/index.ts';
import { dashboardRoutes } from './web/dashboard/index.ts';

const OPENAPI_INFO = {
  openapi: '3.1.0',
  info: {
    title: 'tuneloop REST API',
    version: 'v1',
    description: 'Every route needs `Authorization: Bearer <token>` and names the role it needs. Lists page with `?limit=&cursor=`; errors are `{"error": {"code", "message"}}`.',
  },
  servers: [{ url: '/' }],
};

/** `gateway`: the inference API's state (usage recorder, upstreams); main.ts passes one it can close on shutdown. */
export function createApp(deps: AppDeps, options: { gateway?: Gateway } = {}) {
  // OpenAPIHono is a Hono that also collects the /api/v1 routes' declarations into one document.
  const app = new OpenAPIHono();

  app.use(async (c, next) => {
    const started = performance.now();
    await next();
    // The matched pattern, not the raw path, keeps label cardinality bounded.
    const route = c.res.status === 404 ? 'unmatched' : routePath(c, -1);
    recordRequest(c.req.method, route, c.res.status, (performance.now() - started) / 1000);
  });
  app.use(globalBodyLimit(deps.config.HTTP_BODY_LIMIT_BYTES));

  app.route('/', healthRoutes(deps));
  // With METRICS_PORT set, /metrics is served on that port only (main.ts).
  if (deps.config.METRICS_PORT === undefined) app.route('/', metricsRoutes(deps));
  // Vendor webhooks authenticate by signature, not by our bearer tokens (src/web/webhooks.ts).
  app.route('/webhooks', webhookRoutes(deps));
  // The Slack app signs its requests; the receiver checks them (src/web/slack.ts).
  app.route('/slack', slackRoutes(deps.queue ? slackAppFor({ ...deps, queue: deps.queue }, 'http') : null, { socketMode: Boolean(deps.config.SLACK_APP_TOKEN) }));

  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer', description: 'an API token (`tuneloop token create`); its roles decide what it may do' });
  let document: unknown;
  // Mounted before /api/v1's token check; see src/web/api-docs.ts for why it is public.
  app.route('/api', apiDocsRoutes(() => (document ??= app.getOpenAPI31Document(OPENAPI_INFO))));

  const api = apiApp();
  api.use(requireToken(deps.database.db));
  api.route('/tokens', tokenRoutes(deps.database.db));
  api.route('/connections', connectionRoutes(deps));
  api.route('/harvests', harvestRoutes(deps));
  api.route('/alerts', alertRoutes(deps));
  api.route('/audit-events', auditRoutes(deps));
  api.route('/documents', documentRoutes(deps));
  api.route('/compliance', complianceFigureRoutes(deps));
  api.route('/datasets', datasetRoutes(deps));
  api.route('/gdpr', gdprRoutes(deps));
  api.route('/files', fileRoutes(deps));
  api.route('/fine_tuning', fineTuningRoutes(deps));
  api.route('/event-subscriptions', eventSubscriptionRoutes(deps));
  api.route('/drift', driftRoutes(deps));
  api.route('/retraining-policies', retrainingRoutes(deps));
  api.route('/draft-batches', draftBatchRoutes(deps));
  api.route('/drafts', draftRoutes(deps));
  api.route('/models', modelRoutes(deps));
  api.route('/ab-tests', abTestRoutes(deps));
  api.route('/models', evaluationRoutes(deps));
  api.route('/evaluations', evaluationReviewRoutes(deps));
  api.route('/reviews', reviewRoutes(deps));
  api.route('/slack/grants', slackGrantRoutes(deps));
  api.route('/inference-tokens', inferenceTokenRoutes(deps));
  api.route('/model-aliases', modelAliasRoutes(deps));
  api.route('/usage', usageRoutes(deps));
  app.route('/api/v1', api);
  // The OpenAI-compatible inference API authenticates its own tokens (src/web/openai/auth.ts).
  app.route('/v1', openaiRoutes(deps, options.gateway ?? createGateway(deps)));
  // The dashboard's pages authenticate with a session cookie (src/web/dashboard/guard.ts).
  app.route('/', dashboardRoutes(deps));

  app.notFound(notFound);
  app.onError(handleError(deps.log));
  return app;
}

export type App = ReturnType<typeof createApp>;
