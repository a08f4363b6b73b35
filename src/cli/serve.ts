/** `tuneloop start` and `tuneloop worker`: run the hub until SIGTERM/SIGINT, then shut down gracefully. */
import type { Command } from 'commander';
import { createLogger } from '../log.ts';
import { startHub, type Hub } from '../main.ts';
import { isJobName, JOB_NAMES, type JobName } from '../queue/jobs.ts';
import { fail, loadCliConfig } from './context.ts';
import { signalCounter } from './signals.ts';

async function runUntilSignal(options: { serveHttp: boolean; port?: string; queues?: JobName[]; skipQueues?: JobName[]; healthPort?: number }) {
  const config = loadCliConfig(options.port === undefined ? {} : { PORT: options.port });
  const log = createLogger(config);
  let hub: Hub | null = null;
  let stopping = false;
  const classify = signalCounter();

  const shutdown = () => {
    if (!hub) return; // still starting: shut down as soon as it is up
    hub.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  // Installed before anything starts, so a signal during start-up still shuts down cleanly
  // (an embedded PostgreSQL already started is stopped too). A copy of the same signal (npm
  // forwarding what the process group got) is ignored; a later second signal forces the exit.
  const onSignal = (signal: NodeJS.Signals) => {
    const verdict = classify(signal);
    if (verdict === 'duplicate') {
      log.info({ signal }, 'the same signal again (forwarded by a parent): already stopping');
      return;
    }
    if (verdict === 'force') {
      log.warn({ signal }, 'second signal: exiting without waiting for running jobs');
      process.exit(1);
    }
    stopping = true;
    log.info({ signal }, 'signal received');
    shutdown();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  try {
    hub = await startHub({ config, log, serveHttp: options.serveHttp, queues: options.queues, skipQueues: options.skipQueues, healthPort: options.healthPort });
  } catch (error) {
    log.fatal({ err: error }, 'could not start');
    await new Promise((resolve) => setTimeout(resolve, 100)); // let the log flush
    process.exit(1);
  }
  if (stopping) shutdown();
}

function parseQueues(value: string): JobName[] {
  const names = value.split(',').map((name) => name.trim()).filter(Boolean);
  for (const name of names) {
    if (!isJobName(name)) fail(`unknown queue "${name}"; known: ${JOB_NAMES.join(', ')}`, 2);
  }
  return names as JobName[];
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) fail(`--health-port must be a port number 1-65535 (got "${value}")`, 2);
  return port;
}

export function registerServeCommands(program: Command) {
  program
    .command('start')
    .description('run the hub: HTTP API and every job handler in one process')
    .option('-p, --port <port>', 'port to listen on (default: PORT or 8080)')
    .option('--skip-queues <names>', 'comma-separated queues this process leaves to `tuneloop worker` processes (e.g. finetune.train,model.evaluate)')
    .action((options: { port?: string; skipQueues?: string }) =>
      runUntilSignal({ serveHttp: true, port: options.port, skipQueues: options.skipQueues ? parseQueues(options.skipQueues) : undefined }),
    );

  const worker = program
    .command('worker')
    .description('run job handlers only (no HTTP); start as many as you like against one database')
    .option('-q, --queues <names>', `comma-separated queues to work (default: all): ${JOB_NAMES.join(', ')}`)
    .option('--health-port <port>', 'serve /healthz, /readyz and /metrics on this port (for container health checks and Prometheus)')
    .action((options: { queues?: string; healthPort?: string }) =>
      runUntilSignal({
        serveHttp: false,
        queues: options.queues ? parseQueues(options.queues) : undefined,
        healthPort: options.healthPort === undefined ? undefined : parsePort(options.healthPort),
      }),
    );
  return worker;
}
