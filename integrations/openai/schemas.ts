/**
 * The parts of OpenAI's fine-tuning objects tuneloop reads, as zod schemas (the SDK's types are
 * not a check). Field names and meanings: https://github.com/openai/openai-openapi (openapi.yaml), components
 * FineTuningJob, FineTuningJobEvent, FineTuningJobCheckpoint and OpenAIFile.
 */
import { z } from 'zod';

export const JOB_STATUSES = ['validating_files', 'queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type OpenAIJobStatus = (typeof JOB_STATUSES)[number];

const JobErrorBody = z.object({ code: z.string().nullish(), message: z.string().nullish(), param: z.string().nullish() });

export const OpenAIJob = z.looseObject({
  object: z.literal('fine_tuning.job'),
  id: z.string().min(1),
  model: z.string(),
  created_at: z.number(),
  finished_at: z.number().nullish(),
  // Newer statuses (pausing, paused) are passed on as text; the runner treats unknown ones as running.
  status: z.string(),
  fine_tuned_model: z.string().nullish(),
  trained_tokens: z.number().nullish(),
  // OpenAI sends `{}` or null when there is no error.
  error: JobErrorBody.nullish(),
  estimated_finish: z.number().nullish(),
  metadata: z.record(z.string(), z.string()).nullish(),
});
export type OpenAIJob = z.infer<typeof OpenAIJob>;

export const OpenAIEvent = z.looseObject({
  object: z.literal('fine_tuning.job.event'),
  id: z.string().min(1),
  created_at: z.number(),
  level: z.string(),
  message: z.string(),
  type: z.string().nullish(),
  data: z.record(z.string(), z.unknown()).nullish(),
});
export type OpenAIEvent = z.infer<typeof OpenAIEvent>;

export const OpenAICheckpoint = z.looseObject({
  object: z.literal('fine_tuning.job.checkpoint'),
  id: z.string().min(1),
  created_at: z.number(),
  fine_tuned_model_checkpoint: z.string(),
  step_number: z.number().int(),
  metrics: z.record(z.string(), z.number().nullable()),
  fine_tuning_job_id: z.string(),
});
export type OpenAICheckpoint = z.infer<typeof OpenAICheckpoint>;

export const OpenAIFile = z.looseObject({
  object: z.literal('file'),
  id: z.string().min(1),
  bytes: z.number(),
  filename: z.string(),
  purpose: z.string(),
});

export function page<T extends z.ZodType>(item: T) {
  return z.looseObject({ data: z.array(item), has_more: z.boolean().optional() });
}
