/**
 * The gpu-worker's stdout contract: one JSON object per line, `type` in warning | error | valid |
 * started | progress | eval | checkpoint | done | sweep_done (gpu-worker/tests/event_schema.py).
 * Each line is parsed here; a line that is not one of these is reported to the caller, never fatal.
 * Extra fields (e.g. `trial` in a sweep) are kept.
 */
import { z } from 'zod';
import type { EventLevel } from '../../db/schema/index.ts';

const num = z.number().nullable();
const base = { time: z.string().optional(), trial: z.number().int().optional() };

export const WorkerEvent = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('warning'), ...base, message: z.string() }),
  z.looseObject({ type: z.literal('error'), ...base, message: z.string(), kind: z.string() }),
  z.looseObject({ type: z.literal('valid'), ...base, method: z.string(), train_examples: z.number().int(), validation_examples: z.number().int(), trials: z.number().int() }),
  z.looseObject({
    type: z.literal('started'),
    ...base,
    total_steps: z.number().int(),
    resumed_from_step: z.number().int(),
    method: z.string(),
    base_model: z.string(),
    device: z.string(),
    device_name: z.string(),
    precision: z.string(),
    world_size: z.number().int(),
    trainable_params: z.number().int(),
    total_params: z.number().int(),
    train_examples: z.number().int(),
    validation_examples: z.number().int(),
    effective_batch_size: z.number().int(),
    config: z.record(z.string(), z.unknown()),
  }),
  z.looseObject({
    type: z.literal('progress'),
    ...base,
    step: z.number().int(),
    total_steps: z.number().int(),
    epoch: num,
    loss: num,
    learning_rate: num,
    grad_norm: num,
    tokens_per_second: num,
    tokens_seen: z.number().int(),
    eta_seconds: num,
    extra: z.record(z.string(), z.unknown()),
  }),
  z.looseObject({
    type: z.literal('eval'),
    ...base,
    step: z.number().int(),
    epoch: num,
    eval_loss: num,
    best_eval_loss: num,
    best_step: z.number().int().nullable(),
    is_best: z.boolean(),
    extra: z.record(z.string(), z.unknown()),
  }),
  z.looseObject({ type: z.literal('checkpoint'), ...base, step: z.number().int(), path: z.string(), is_best: z.boolean() }),
  z.looseObject({
    type: z.literal('done'),
    ...base,
    best_checkpoint: z.string().nullable(),
    best_step: z.number().int().nullable(),
    best_fraction_of_training: num,
    total_steps: z.number().int(),
    steps_trained: z.number().int(),
    resumed_from_step: z.number().int(),
    stopped_early: z.boolean(),
    metrics: z.looseObject({ final_train_loss: num, mean_train_loss: num, best_eval_loss: num, last_eval_loss: num }),
    adapter_path: z.string().nullable(),
    model_path: z.string().nullable(),
    cost: z.looseObject({ tokens_seen: z.number().int(), wall_seconds: z.number() }),
  }),
  z.looseObject({ type: z.literal('sweep_done'), ...base, strategy: z.string(), best_trial: z.number().int(), best_params: z.record(z.string(), z.unknown()), trials: z.array(z.unknown()) }),
]);
export type WorkerEvent = z.infer<typeof WorkerEvent>;
export type DoneEvent = Extract<WorkerEvent, { type: 'done' }>;

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
  }
}
