/**
 * Live harvests for connections whose vendor pushes over a connection we hold (IMAP IDLE): each
 * such connection is watched, and every "something new" runs a harvest in this process at once,
 * from the stored cursor (no queue hop: new mail reaches the compliance scan within seconds).
 * Changes that arrive while a harvest runs are coalesced into one more run after it. A watch that
 * cannot log in or open its mailbox also runs a harvest, so the failure and its reason are stored
 * on a harvest run (the connection's state in the API) rather than only logged.
 * Connections added or removed later are picked up every `refreshMs`.
 */
import { connectorFor, listConnections, type ConnectionRow } from '../connections/store.ts';
import { executeRun, type HarvestDeps } from './execute.ts';
import { createRun, getRun, isTerminal } from './runs.ts';

export interface LiveHarvests {
  /** The connections being watched now, by id. */
  watched(): string[];
  stop(): Promise<void>;
}

export interface LiveOptions {
  refreshMs?: number;
  reconnectMs?: number;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });

function watchOne(deps: HarvestDeps, row: ConnectionRow, signal: AbortSignal, options: LiveOptions): Promise<void> | null {
  const connector = connectorFor(deps.database.db, deps.keyring, row, { log: deps.log });
  if (!connector.watch) return null;
  const log = deps.log.child({ module: 'live-harvest', connectionId: row.id });
  let pending = false;
  let pumping: Promise<void> | null = null;

  const pump = async () => {
    while (pending && !signal.aborted) {
      pending = false;
      const { run, existing } = await createRun(deps.database.db, row.id, 'live', null);
      if (existing && run.status === 'queued' && run.trigger === 'live') {
        // Ours, left queued by a shutdown mid-harvest: nobody else will run it.
        await executeRun(deps, run.id, { signal, lastAttempt: true });
        continue;
      }
      if (existing) {
        // Another process (a scheduled or manual run) is harvesting: run once more after it.
        while (!signal.aborted && !isTerminal((await getRun(deps.database.db, run.id))?.status ?? 'failed')) await sleep(200, signal);
        pending = true;
        continue;
      }
      const done = await executeRun(deps, run.id, { signal, lastAttempt: true });
      if (done?.status === 'failed') log.warn({ harvestId: run.id, reason: done.error }, 'live harvest failed');
    }
  };
  const kick = () => {
    pending = true;
    pumping ??= pump()
      .catch((error: unknown) => log.error({ err: error }, 'live harvest crashed'))
      .finally(() => {
        pumping = null;
        if (pending && !signal.aborted) kick();
      });
  };

  return connector
    .watch(kick, {
      signal,
      log,
      ...(options.reconnectMs ? { reconnectMs: options.reconnectMs } : {}),
      onConnected: () => log.info('watching for new mail (IDLE)'),
      onError: () => kick(),
    })
    .then(() => pumping ?? undefined);
}

export function startLiveHarvests(deps: HarvestDeps, options: LiveOptions = {}): LiveHarvests {
  const controller = new AbortController();
  const running = new Map<string, { stop: AbortController; done: Promise<void> }>();
  const log = deps.log.child({ module: 'live-harvest' });

  const refresh = async () => {
    const rows = await listConnections(deps.database.db);
    const ids = new Set(rows.map((row) => row.id));
    for (const [id, watch] of running) {
      if (!ids.has(id)) {
        watch.stop.abort();
        running.delete(id);
      }
    }
    for (const row of rows) {
      if (running.has(row.id) || controller.signal.aborted) continue;
      const stop = new AbortController();
      const signal = AbortSignal.any([controller.signal, stop.signal]);
      let done: Promise<void> | null = null;
      try {
        done = watchOne(deps, row, signal, options);
      } catch (error) {
        // Credentials that no longer decrypt or parse: the harvest reports that on its own.
        log.warn({ connectionId: row.id, reason: error instanceof Error ? error.message : String(error) }, 'connection not watched');
      }
      if (done) running.set(row.id, { stop, done: done.catch((error: unknown) => log.error({ err: error, connectionId: row.id }, 'watch stopped')) });
    }
  };

  const loop = (async () => {
    while (!controller.signal.aborted) {
      await refresh().catch((error: unknown) => log.error({ err: error }, 'could not list connections to watch'));
      await sleep(options.refreshMs ?? 30_000, controller.signal);
    }
  })();

  return {
    watched: () => [...running.keys()],
    async stop() {
      controller.abort();
      await loop;
      await Promise.all([...running.values()].map((watch) => watch.done));
    },
  };
}
