/**
 * The gpu-worker's stdout, one JSON event per line (declared in contract/events.ts), parsed line
 * by line: a line that is not one of the events is reported to the caller, never fatal. Extra
 * fields (e.g. `trial` in a sweep) are kept. And the sentence a person reads for each event.
 */
import type { EventLevel } from '../../db/schema/index.ts';
import { WorkerEvent, type DoneEvent } from './contract/events.ts';

export { WorkerEvent, type DoneEvent };

/** A stdout line as an event, or why it is not one. */
export function parseWorkerLine(line: string): { ok: true; event: WorkerEvent } | { ok: false; reason: string } {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { ok: false, reason: 'not JSON' };
  }
  const result = WorkerEvent.safeParse(value);
  if (result.success) return { ok: true, event: result.data };
  const issue = result.error.issues[0];
  return { ok: false, reason: `${issue?.path.join('.') || 'event'}: ${issue?.message ?? 'invalid'}` };
}

const fmt = (value: number | null | undefined, digits = 4) => (value === null || value === undefined ? 'n/a' : Number(value.toPrecision(digits)).toString());

/** The line a person reads in `tuneloop train events` and the API, and its level. */
export function describeEvent(event: WorkerEvent): { level: EventLevel; message: string } {
  const trial = event.trial ? `trial ${event.trial}: ` : '';
  switch (event.type) {
    case 'warning':
      return { level: 'warn', message: `${trial}${event.message}` };
    case 'error':
      return { level: 'error', message: `${trial}${event.message}` };
    case 'valid':
      return { level: 'info', message: `Files validated: ${event.train_examples} training and ${event.validation_examples} validation examples${event.trials > 1 ? `, ${event.trials} trials` : ''}` };
    case 'started':
      return {
        level: 'info',
        message: `${trial}${event.resumed_from_step > 0 ? `Resumed from step ${event.resumed_from_step} of ${event.total_steps}` : `Training started: ${event.total_steps} steps`} on ${event.device_name} (${event.precision}, ${event.world_size} process${event.world_size === 1 ? '' : 'es'}), ${event.trainable_params} trainable parameters`,
      };
    case 'progress':
      return { level: 'info', message: `${trial}Step ${event.step}/${event.total_steps}: training loss=${fmt(event.loss)}` };
    case 'eval':
      return { level: 'info', message: `${trial}Step ${event.step}: validation loss=${fmt(event.eval_loss)}${event.is_best ? ' (best so far)' : ''}` };
    case 'checkpoint':
      return { level: 'info', message: `${trial}Checkpoint saved at step ${event.step}${event.is_best ? ' (best)' : ''}` };
    case 'done':
      return {
        level: 'info',
        message: `${trial}Training finished after ${event.steps_trained} of ${event.total_steps} steps${event.stopped_early ? ' (stopped early)' : ''}: best validation loss ${fmt(event.metrics.best_eval_loss)} at step ${event.best_step ?? 'n/a'}`,
      };
    case 'sweep_done':
      return { level: 'info', message: `Sweep finished (${event.strategy}): best trial ${event.best_trial} of ${event.trials.length}` };
    case 'tiny_model':
      return { level: 'info', message: `Tiny test model written to ${event.path}` };
  }
}
