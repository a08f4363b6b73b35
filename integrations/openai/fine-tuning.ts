/**
 * OpenAI's managed fine-tuning behind the interface the hub's runner uses (ManagedFineTuning):
 * upload files, create a job (tagged with the hub's job id in metadata, so a retried create finds
 * the job instead of making a second one), and follow its status, events and checkpoints.
 */
import { toFile } from 'openai';
import { z } from 'zod';
import { OpenAIApi, type OpenAISettings } from './client.ts';
import { OpenAICheckpoint, OpenAIEvent, OpenAIFile, OpenAIJob, page } from './schemas.ts';
import { VendorError, type ManagedEvent, type ManagedFineTuning, type ManagedJob } from '../types.ts';

/** The metadata key that ties a provider job to the hub's job. */
export const JOB_TAG = 'tuneloop_job_id';

function toJob(job: OpenAIJob): ManagedJob {
  const error = job.error?.message ? { code: job.error.code ?? 'failed', message: job.error.message, param: job.error.param ?? null } : null;
  return {
    id: job.id,
    status: job.status,
    fineTunedModel: job.fine_tuned_model ?? null,
    trainedTokens: job.trained_tokens ?? null,
    error,
    estimatedFinish: job.estimated_finish ? new Date(job.estimated_finish * 1000) : null,
  };
}

function toEvent(event: OpenAIEvent): ManagedEvent {
  const level = event.level === 'warn' || event.level === 'error' ? event.level : 'info';
  return { id: event.id, createdAt: new Date(event.created_at * 1000), level, message: event.message, type: event.type ?? 'message', data: event.data ?? {} };
}

export function openaiFineTuning(settings: OpenAISettings): ManagedFineTuning {
  const api = new OpenAIApi(settings);
  const { sdk } = api;
  return {
    provider: 'openai',

    async uploadFile(filename, content) {
      // https://platform.openai.com/docs/api-reference/files/create
      const file = await api.call('upload a fine-tuning file', async () => sdk.files.create({ file: await toFile(content, filename), purpose: 'fine-tune' }), OpenAIFile);
      return file.id;
    },

    async deleteFile(id) {
      try {
        // https://platform.openai.com/docs/api-reference/files/delete
        await api.call('delete a fine-tuning file', async () => sdk.files.delete(id), z.object({ id: z.string(), deleted: z.boolean() }).loose());
        return 'deleted';
      } catch (error) {
        if (error instanceof VendorError && error.kind === 'not_found') return 'gone';
        throw error;
      }
    },

    async findJob(tag) {
      // https://platform.openai.com/docs/api-reference/fine-tuning/list (metadata[key]=value filter)
      const jobs = await api.call('list fine-tuning jobs', async () => (await sdk.fineTuning.jobs.list({ limit: 10, metadata: { [JOB_TAG]: tag } })).data, z.array(OpenAIJob));
      const match = jobs.find((job) => job.metadata?.[JOB_TAG] === tag);
      return match ? toJob(match) : null;
    },

    async createJob(input) {
      // https://platform.openai.com/docs/api-reference/fine-tuning/create
      const job = await api.call(
        'create a fine-tuning job',
        () =>
          sdk.fineTuning.jobs.create({
            model: input.model,
            training_file: input.trainingFile,
            validation_file: input.validationFile,
            method: input.method,
            suffix: input.suffix,
            seed: input.seed,
            metadata: { ...input.metadata, [JOB_TAG]: input.tag },
          }),
        OpenAIJob,
      );
      return toJob(job);
    },

    async getJob(id) {
      // https://platform.openai.com/docs/api-reference/fine-tuning/retrieve
      return toJob(await api.call('read a fine-tuning job', () => sdk.fineTuning.jobs.retrieve(id), OpenAIJob));
    },

    async cancelJob(id) {
      // https://platform.openai.com/docs/api-reference/fine-tuning/cancel
      return toJob(await api.call('cancel a fine-tuning job', () => sdk.fineTuning.jobs.cancel(id), OpenAIJob));
    },

    async newEvents(id, lastSeenId, maxPages = 5) {
      // https://platform.openai.com/docs/api-reference/fine-tuning/list-events: newest first, `after` pages back in time.
      const collected: ManagedEvent[] = [];
      let after: string | undefined;
      for (let pageNo = 0; pageNo < maxPages; pageNo++) {
        const current = await api.call(
          'list fine-tuning events',
          async () => {
            const result = await sdk.fineTuning.jobs.listEvents(id, { limit: 100, ...(after ? { after } : {}) });
            return { data: result.data, has_more: result.has_more };
          },
          page(OpenAIEvent),
        );
        for (const event of current.data) {
          if (event.id === lastSeenId) return collected.reverse();
          collected.push(toEvent(event));
        }
        after = current.data.at(-1)?.id;
        if (!current.has_more || !after) break;
      }
      return collected.reverse();
    },

    async checkpoints(id) {
      // https://platform.openai.com/docs/api-reference/fine-tuning/list-checkpoints
      const result = await api.call('list fine-tuning checkpoints', async () => (await sdk.fineTuning.jobs.checkpoints.list(id, { limit: 100 })).data, z.array(OpenAICheckpoint));
      return result.map((checkpoint) => ({ id: checkpoint.id, step: checkpoint.step_number, modelName: checkpoint.fine_tuned_model_checkpoint, metrics: checkpoint.metrics }));
    },
  };
}
