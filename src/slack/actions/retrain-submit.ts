/**
 * The retrain modal submitted: each field checked against the same limits the API uses
 * (src/training/worker/contract/run-config.ts), errors shown next to the field and nothing started;
 * otherwise the retraining starts and its live message is posted where the command was typed.
 */
import { z } from 'zod';
import type { SlackViewSubmission } from '../../../integrations/types.ts';
import { RetrainInputError, startManualRetrain } from '../../models/retraining/manual.ts';
import { LIMITS } from '../../training/worker/contract/run-config.ts';
import type { SlackContext } from '../context.ts';
import { postRetrainMessage } from '../retrain-message.ts';

const Metadata = z.object({ channel: z.string().regex(/^[CGD][A-Z0-9]+$/) });

function numberField(raw: string | null, schema: z.ZodType<number>, errors: Record<string, string>, field: string, label: string): number | undefined {
  if (raw === null || raw.trim() === '') return undefined;
  const parsed = schema.safeParse(Number(raw));
  if (!parsed.success) errors[field] = `${label}: ${parsed.error.issues[0]?.message ?? 'invalid'}`.slice(0, 150);
  return parsed.success ? parsed.data : undefined;
}

export async function submitRetrain(ctx: SlackContext, input: SlackViewSubmission, actor: string): Promise<{ ack: { errors: Record<string, string> } | undefined; after?: () => Promise<void> }> {
  const errors: Record<string, string> = {};
  let channel: string;
  try {
    channel = Metadata.parse(JSON.parse(input.privateMetadata)).channel;
  } catch {
    return { ack: { errors: { task: 'This form is out of date; run /tuneloop retrain again.' } } };
  }
  const task = input.values.task ?? '';
  const base = (input.values.base_model ?? '').trim();
  if (!/^[a-z][a-z_]{0,39}$/.test(task)) errors.task = 'Choose a task.';
  if (!base) errors.base_model = 'Name a base model.';
  const epochs = numberField(input.values.epochs ?? null, LIMITS.epochs, errors, 'epochs', 'Epochs');
  const learningRate = numberField(input.values.learning_rate ?? null, LIMITS.learning_rate, errors, 'learning_rate', 'Learning rate');
  const rank = numberField(input.values.lora_r ?? null, LIMITS.lora_r, errors, 'lora_r', 'LoRA rank');
  const version = (input.values.dataset_version ?? '').trim();
  if (Object.keys(errors).length) return { ack: { errors } };

  const hyperparameters = { ...(epochs !== undefined ? { epochs } : {}), ...(learningRate !== undefined ? { learning_rate: learningRate } : {}), ...(rank !== undefined ? { lora: { r: rank } } : {}) };
  try {
    const run = await startManualRetrain(ctx.deps.database.db, ctx.deps.queue, {
      task,
      requestedBy: actor,
      slackChannel: channel,
      training: { model: base, method: { type: 'lora', hyperparameters } },
      ...(version ? { datasetVersion: version } : {}),
    });
    return { ack: undefined, after: () => postRetrainMessage(ctx, run.id, channel, { userId: input.userId }) };
  } catch (error) {
    if (!(error instanceof RetrainInputError)) throw error;
    const field = /dataset version/.test(error.message) ? 'dataset_version' : /base model|model:/.test(error.message) ? 'base_model' : 'task';
    return { ack: { errors: { [field]: error.message.slice(0, 150) } } };
  }
}
