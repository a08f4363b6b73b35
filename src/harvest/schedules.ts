/**
 * Scheduled harvests: a connection's cron expression becomes a pg-boss schedule keyed by the
 * connection id. pg-boss makes sure one instance fires each tick however many hubs run.
 */
import type { Tx } from '../db/client.ts';
import type { Queue } from '../queue/queue.ts';
import { listConnections, type ConnectionRow } from '../connections/store.ts';

export class ScheduleError extends Error {
  override name = 'ScheduleError';
}

export function validateSchedule(queue: Queue, cron: string): void {
  try {
    queue.checkCron(cron);
  } catch (error) {
    throw new ScheduleError(`schedule "${cron}" is not a valid cron expression: ${error instanceof Error ? error.message : String(error)}`);
  }
}

export async function syncSchedule(queue: Queue, connection: Pick<ConnectionRow, 'id' | 'schedule'>): Promise<void> {
  if (connection.schedule) {
    await queue.schedule('harvest.run', connection.schedule, { connectionId: connection.id, trigger: 'schedule' }, connection.id);
  } else {
    await queue.unschedule('harvest.run', connection.id);
  }
}

export async function removeSchedule(queue: Queue, connectionId: string): Promise<void> {
  await queue.unschedule('harvest.run', connectionId);
}

/** On start: every connection's schedule, as stored, is (re)registered. */
export async function syncAllSchedules(db: Tx, queue: Queue): Promise<void> {
  for (const connection of await listConnections(db)) if (connection.schedule) await syncSchedule(queue, connection);
}
