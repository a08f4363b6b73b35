/**
 * /v1/fine_tuning/jobs (create, list, retrieve, cancel, events, checkpoints) and /v1/models of the
 * OpenAI sandbox. Requests are validated against CreateFineTuningJobRequest with OpenAI's error
 * messages; lists page with `after`/`limit` and answer newest first, as OpenAI does.
 */
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { openaiError } from './http.ts';
import { BASE_MODELS, ORGANIZATION, type Hyper, type OpenAISandboxStore, type SandboxJob } from './store.ts';

const auto = z.literal('auto');
const Hyperparameters = z
  .object({
    batch_size: z.union([auto, z.number().int().min(1).max(256)]).optional(),
    learning_rate_multiplier: z.union([auto, z.number().positive()]).optional(),
    n_epochs: z.union([auto, z.number().int().min(1).max(50)]).optional(),
    beta: z.union([auto, z.number().positive().max(2)]).optional(),
  })
  .strict();

const CreateJob = z
  .object({
    model: z.string().min(1),
    training_file: z.string().min(1),
    hyperparameters: Hyperparameters.omit({ beta: true }).optional(),
    suffix: z.string().min(1).max(64).nullish(),
    validation_file: z.string().min(1).nullish(),
    integrations: z.array(z.unknown()).nullish(),
    seed: z.number().int().min(0).max(2_147_483_647).nullish(),
    method: z
      .object({
        type: z.enum(['supervised', 'dpo', 'reinforcement']),
        supervised: z.object({ hyperparameters: Hyperparameters.omit({ beta: true }).optional() }).optional(),
        dpo: z.object({ hyperparameters: Hyperparameters.optional() }).optional(),
        reinforcement: z.unknown().optional(),
      })
      .optional(),
    metadata: z
      .record(z.string().max(64), z.string().max(512))
      .refine((value) => Object.keys(value).length <= 16, 'Metadata may have at most 16 keys')
      .nullish(),
  })
  .strict();

function invalid(c: Context, error: z.ZodError) {
  const issue = error.issues[0];
  if (issue?.code === 'unrecognized_keys') return openaiError(c, 400, `Unrecognized request argument supplied: ${issue.keys.join(', ')}`);
  const param = issue?.path.join('.') || null;
  return openaiError(c, 400, `Invalid value for '${param ?? 'body'}': ${issue?.message ?? 'invalid'}`, { param, code: 'invalid_value' });
}

/** Newest first, from just after the `after` id, at most `limit` (default `fallback`). */
function pageOf<T extends { id: string }>(items: T[], after: string | undefined, limitText: string | undefined, fallback: number) {
  const limit = Math.min(100, Math.max(1, Number(limitText ?? fallback) || fallback));
  const newest = [...items].reverse();
  const start = after ? newest.findIndex((item) => item.id === after) + 1 : 0;
  const data = newest.slice(start, start + limit);
  return { data, has_more: start + limit < newest.length };
}

export function jobRoutes(store: OpenAISandboxStore) {
  const app = new Hono();
  const load = (c: Context): SandboxJob | Response => store.jobs.get(c.req.param('id') ?? '') ?? openaiError(c, 404, `Fine-tuning job ${c.req.param('id')} not found`, { param: 'fine_tuning_job_id', code: 'fine_tuning_job_not_found' });

  app.post('/fine_tuning/jobs', async (c) => {
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      return openaiError(c, 400, 'We could not parse the JSON body of your request.');
    }
    const parsed = CreateJob.safeParse(body);
    if (!parsed.success) return invalid(c, parsed.error);
    const input = parsed.data;
    const base = BASE_MODELS[input.model] ?? (store.models.get(input.model)?.owned_by === ORGANIZATION ? input.model : null);
    if (!base) return openaiError(c, 400, `Model ${input.model} is not available for fine-tuning or does not exist.`, { param: 'model', code: 'model_not_available' });
    for (const [param, id] of [['training_file', input.training_file], ['validation_file', input.validation_file]] as const) {
      if (!id) continue;
      const file = store.files.get(id);
      if (!file) return openaiError(c, 400, `invalid ${param}: ${id}`, { param, code: 'invalid_file' });
      if (file.purpose !== 'fine-tune') return openaiError(c, 400, `File ${id} has purpose '${file.purpose}'; fine-tuning needs 'fine-tune'.`, { param, code: 'invalid_file_purpose' });
    }
    const type = input.method?.type ?? 'supervised';
    if (type === 'reinforcement') return openaiError(c, 400, 'Reinforcement fine-tuning is not available for this model.', { param: 'method.type' });
    if (input.method && input.hyperparameters) return openaiError(c, 400, "Do not set both 'hyperparameters' and 'method'.", { param: 'hyperparameters' });
    const given = (type === 'dpo' ? input.method?.dpo?.hyperparameters : (input.method?.supervised?.hyperparameters ?? input.hyperparameters)) ?? {};
    const hyper: Hyper = { batch_size: given.batch_size ?? 'auto', learning_rate_multiplier: given.learning_rate_multiplier ?? 'auto', n_epochs: given.n_epochs ?? 'auto', ...(type === 'dpo' ? { beta: (given as { beta?: number | 'auto' }).beta ?? 'auto' } : {}) };
    const job: SandboxJob = {
      object: 'fine_tuning.job',
      id: store.newId('ftjob-'),
      model: base,
      created_at: Math.floor(Date.now() / 1000),
      finished_at: null,
      fine_tuned_model: null,
      organization_id: ORGANIZATION,
      result_files: [],
      status: 'validating_files',
      validation_file: input.validation_file ?? null,
      training_file: input.training_file,
      hyperparameters: hyper,
      trained_tokens: null,
      integrations: input.integrations ?? [],
      seed: input.seed ?? Math.floor(store.random() * 2_147_483_647),
      estimated_finish: null,
      method: type === 'dpo' ? { type, dpo: { hyperparameters: hyper } } : { type, supervised: { hyperparameters: hyper } },
      metadata: input.metadata ?? null,
      suffix: input.suffix ?? null,
      error: null,
    };
    return c.json(store.createJob(job));
  });

  app.get('/fine_tuning/jobs', (c) => {
    const filters = Object.entries(c.req.query()).flatMap(([key, value]) => {
      const match = /^metadata\[(.+)\]$/.exec(key);
      return match?.[1] ? [[match[1], value] as const] : [];
    });
    const jobs = [...store.jobs.values()].filter((job) => filters.every(([key, value]) => job.metadata?.[key] === value));
    return c.json({ object: 'list', ...pageOf(jobs, c.req.query('after'), c.req.query('limit'), 20) });
  });

  app.get('/fine_tuning/jobs/:id', (c) => {
    const job = load(c);
    return job instanceof Response ? job : c.json(job);
  });

  app.post('/fine_tuning/jobs/:id/cancel', (c) => {
    const job = load(c);
    if (job instanceof Response) return job;
    if (job.status === 'succeeded' || job.status === 'failed') return openaiError(c, 400, `Job ${job.id} has already ${job.status === 'succeeded' ? 'completed' : 'failed'} and cannot be cancelled.`, { code: 'job_not_cancellable' });
    return c.json(store.cancel(job));
  });

  app.get('/fine_tuning/jobs/:id/events', (c) => {
    const job = load(c);
    if (job instanceof Response) return job;
    return c.json({ object: 'list', ...pageOf(store.events.get(job.id) ?? [], c.req.query('after'), c.req.query('limit'), 20) });
  });

  app.get('/fine_tuning/jobs/:id/checkpoints', (c) => {
    const job = load(c);
    if (job instanceof Response) return job;
    const page = pageOf(store.checkpoints.get(job.id) ?? [], c.req.query('after'), c.req.query('limit'), 10);
    return c.json({ object: 'list', data: page.data, first_id: page.data[0]?.id ?? null, last_id: page.data.at(-1)?.id ?? null, has_more: page.has_more });
  });

  app.get('/models', (c) => c.json({ object: 'list', data: [...store.models.values()] }));
  app.get('/models/:model{.+}', (c) => {
    const model = store.models.get(c.req.param('model'));
    return model ? c.json(model) : openaiError(c, 404, `The model '${c.req.param('model')}' does not exist`, { param: 'model', code: 'model_not_found' });
  });

  return app;
}
