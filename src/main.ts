/**
 * The process: config → database → queue → HTTP server → job handlers, and the reverse on shutdown.
 * `start` runs the server and every handler in one process; `worker` runs handlers only. Any number
 * of either can share one database.
 */
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import { createApp } from './app.ts';
import { metricsRoutes } from './web/metrics.ts';
import { createGateway, type Gateway } from './models/gateway/gateway.ts';
import type { Config } from './config.ts';
import { openDatabase, type OpenedDatabase } from './db/open.ts';
import { connectDatabase, type Database } from './db/client.ts';
import { handledJobNames, registerHandlers } from './jobs/handlers.ts';
import { syncAllSchedules } from './harvest/schedules.ts';
import { startLiveHarvests } from './harvest/live.ts';
import { reactToHarvest } from './serving/on-harvest.ts';
import { configureEventQueue } from './events/deliver.ts';
import { scheduleDeliveryPruning } from './webhooks/prune.ts';
import { scheduleModelMonitoring } from './models/retraining/schedules.ts';
import { scheduleErasureResume } from './gdpr/handler.ts';
import type { Logger } from './log.ts';
import { loadKeyring } from './security/encryption.ts';
import { securePrivateFiles } from './security/private-files.ts';
import { policiesFor } from './serving/compliance/handler.ts';
import type { JobName } from './queue/jobs.ts';
import { startQueue, type Queue } from './queue/queue.ts';
import { slackAppFor } from './slack/app.ts';
import { openArtifactStore } from './artifacts/index.ts';
import type { HubDeps } from './deps.ts';
import { describeReseal, resealAll, unreadableCount } from './security/reseal-all.ts';
import { healthRoutes } from './web/health.ts';

export interface HubOptions {
  config: Config;
  log: Logger;
  serveHttp: boolean;
  /** Queues whose handlers run here; default all that have a handler. */
  queues?: JobName[];
  /** Queues left to other processes (`start --skip-queues`: a `worker` with Python runs training). */
  skipQueues?: JobName[];
  /** A process without the HTTP API (`worker --health-port`) still answers /healthz, /readyz and /metrics here. */
  healthPort?: number;
}

export interface Hub {
  url: string | null;
  database: OpenedDatabase;
  queue: Queue;
  stop(): Promise<void>;
}

function listen(app: { fetch: (request: Request) => Response | Promise<Response> }, host: string, port: number): Promise<{ server: ServerType; url: string }> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, hostname: host, port }, (info) => {
      resolve({ server, url: `http://${host.includes(':') ? `[${host}]` : host}:${info.port}` });
    });
    server.once('error', reject);
  });
}

export async function startHub({ config, log, serveHttp, queues, skipQueues, healthPort }: HubOptions): Promise<Hub> {
  // A bad policy file stops start-up before anything is opened, with one line naming the policy.
  policiesFor(config);
  securePrivateFiles(config.TUNELOOP_HOME);
  const database = await openDatabase(config, log);
  let queue: Queue;
  try {
    queue = await startQueue({ url: database.url, schema: config.QUEUE_SCHEMA, log });
  } catch (error) {
    await database.shutdown();
    throw error;
  }

  const keyring = loadKeyring({ key: config.TUNELOOP_ENCRYPTION_KEY, previousKeys: config.TUNELOOP_ENCRYPTION_KEYS_PREVIOUS, home: config.TUNELOOP_HOME });
  const deps: HubDeps = { database, queue, log, config, keyring, artifacts: openArtifactStore(config) };
  // Values sealed with a previous key, or before values were bound to their rows, are sealed again.
  const resealed = await resealAll(database.db, keyring, 'system');
  if (unreadableCount(resealed) > 0) log.warn({ resealed: describeReseal(resealed) }, 'some sealed values open with no configured key: their connections, webhooks or deliveries fail until the key is set (TUNELOOP_ENCRYPTION_KEYS_PREVIOUS)');
  else if (Object.values(resealed).some((r) => r.resealed > 0)) log.info({ resealed: describeReseal(resealed) }, 'sealed values re-sealed with the current key');
  await syncAllSchedules(database.db, queue);
  await configureEventQueue(queue, config);
  await scheduleDeliveryPruning(queue);
  await scheduleModelMonitoring(database.db, queue, config);
  // GDPR erasures a crash or a kill left unfinished: resumed now and every five minutes.
  await scheduleErasureResume(queue);

  let gateway: Gateway | null = null;
  let server: ServerType | null = null;
  let url: string | null = null;
  // The API's own pool: job handlers holding every client of theirs (long harvests, a slow vendor)
  // must not leave requests, webhooks and /readyz waiting for a connection.
  let apiDatabase: Database | null = null;
  if (serveHttp) {
    apiDatabase = connectDatabase(database.url, { max: config.API_DB_POOL_SIZE });
    // The inference API's usage rows go through the API's own pool too.
    gateway = createGateway({ ...deps, database: apiDatabase });
    ({ server, url } = await listen(createApp({ ...deps, database: apiDatabase }, { gateway }), config.HOST, config.PORT));
    log.info({ url }, 'hub listening');
  } else if (healthPort !== undefined) {
    // Health checks and Prometheus reach a worker here; nothing else is served.
    const health = new Hono().route('/', healthRoutes(deps));
    if (config.METRICS_PORT === undefined) health.route('/', metricsRoutes(deps));
    ({ server, url } = await listen(health, config.HOST, healthPort));
    log.info({ url }, 'health and metrics listening');
  }
  let metricsServer: ServerType | null = null;
  if (serveHttp && config.METRICS_PORT !== undefined) {
    const metricsApp = new Hono().route('/', metricsRoutes(deps));
    const metrics = await listen(metricsApp, config.METRICS_HOST, config.METRICS_PORT);
    metricsServer = metrics.server;
    log.info({ url: `${metrics.url}/metrics` }, 'metrics listening');
  } else if (serveHttp && !config.METRICS_TOKEN && !/^(127\.|::1$|localhost$)/.test(config.HOST)) {
    log.warn({ host: config.HOST }, '/metrics is open on a non-loopback address: set METRICS_TOKEN or METRICS_PORT');
  }

  // Socket Mode: the process that serves HTTP also holds the Slack connection.
  const socket = serveHttp ? slackAppFor(deps, 'socket') : null;
  if (socket) {
    await socket.start();
    log.info('Slack app connected over Socket Mode');
  }

  // New mail within seconds (IMAP IDLE): watched by the process that serves HTTP, like Socket Mode.
  const live = serveHttp && config.LIVE_HARVEST ? startLiveHarvests({ database, keyring, log, batchSize: config.HARVEST_BATCH_SIZE, onStored: reactToHarvest(queue, config) }, { refreshMs: config.LIVE_HARVEST_REFRESH_MS }) : null;

  const skipped = new Set(skipQueues ?? []);
  const wanted = (queues ?? handledJobNames()).filter((name) => !skipped.has(name));
  const handled = await registerHandlers(deps, wanted, config.WORKER_CONCURRENCY);
  log.info({ queues: handled }, handled.length ? 'job handlers running' : 'no job handlers in this process');

  let stopping: Promise<void> | null = null;
  const stop = () => {
    stopping ??= (async () => {
      log.info('shutting down: no new requests, waiting for running jobs');
      const closed = server ? new Promise<void>((resolve) => server?.close(() => resolve())) : Promise.resolve();
      // Keep-alive clients must not hold the shutdown open.
      if (server && 'closeIdleConnections' in server) server.closeIdleConnections();
      await socket?.stop().catch((error: unknown) => log.warn({ err: error }, 'Slack Socket Mode did not close cleanly'));
      await live?.stop();
      await queue.stop({ timeoutMs: config.SHUTDOWN_TIMEOUT_MS });
      if (server && 'closeAllConnections' in server) server.closeAllConnections();
      await closed;
      await new Promise<void>((resolve) => (metricsServer ? metricsServer.close(() => resolve()) : resolve()));
      await gateway?.close();
      await apiDatabase?.close();
      await database.shutdown();
      log.info('stopped');
    })();
    return stopping;
  };

  return { url, database, queue, stop };
}
