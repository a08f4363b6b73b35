/**
 * /api/v1/retraining-policies: one continuous-retraining policy per task. `PUT /:task` sets it
 * (validated; its cron trigger is scheduled at once), `GET /:task` shows it with its recent runs.
 */
import { z } from 'zod';
import type { AppDeps } from '../../deps.ts';
import { getPolicy, listPolicies, listRuns, PolicyInput, RetrainingInputError, setPolicy, syncPolicySchedule, type PolicyRow, type RetrainingRun } from '../../models/retraining/policies.ts';
import { ScheduleError, validateSchedule } from '../../harvest/schedules.ts';
import { ApiError } from '../errors.ts';
import { apiApp, apiRoute, jsonBody, notFound } from '../openapi.ts';

export function publicPolicy(policy: PolicyRow) {
  return { task: policy.task, datasetId: policy.datasetId, training: policy.training, triggers: policy.triggers, autoPromote: policy.autoPromote, enabled: policy.enabled, lastFiredAt: policy.lastFiredAt, createdAt: policy.createdAt, updatedAt: policy.updatedAt };
}

export function publicRun(run: RetrainingRun) {
  return { id: run.id, trigger: run.trigger, reason: run.reason, status: run.status, datasetVersionId: run.datasetVersionId, fineTuningJobId: run.fineTuningJobId, error: run.error, outcome: run.outcome, createdAt: run.createdAt, updatedAt: run.updatedAt };
}

const params = z.object({ task: z.string().regex(/^[a-z][a-z_]{0,39}$/, 'must be a task name such as reply or triage') });

export function retrainingRoutes(deps: AppDeps) {
  const { db } = deps.database;
  const app = apiApp();

  app.openapi(
    apiRoute('viewer', {
      method: 'get',
      path: '/',
      tags: ['retraining-policies'],
      summary: 'List retraining policies',
      responses: { 200: { description: 'the policies' } },
    }),
    async (c) => c.json({ data: (await listPolicies(db)).map(publicPolicy) }),
  );

  app.openapi(
    apiRoute('viewer', {
      method: 'get',
      path: '/{task}',
      tags: ['retraining-policies'],
      summary: "Show a task's retraining policy",
      request: { params },
      responses: { 200: { description: 'the policy' }, ...notFound('policy') },
    }),
    async (c) => {
      const { task } = c.req.valid('param');
      const policy = await getPolicy(db, task);
      if (!policy) throw new ApiError(404, 'not_found', `no retraining policy for ${task}`);
      return c.json({ ...publicPolicy(policy), runs: (await listRuns(db, task)).map(publicRun) });
    },
  );

  app.openapi(
    apiRoute('operator', {
      method: 'put',
      path: '/{task}',
      tags: ['retraining-policies'],
      summary: "Set a task's retraining policy",
      request: { params, body: jsonBody(PolicyInput.omit({ task: true })) },
      responses: { 200: { description: 'the policy' }, ...notFound('policy') },
    }),
    async (c) => {
      const { task } = c.req.valid('param');
      const input = c.req.valid('json');
      try {
        if (deps.queue && input.triggers.cron) validateSchedule(deps.queue, input.triggers.cron);
        const policy = await setPolicy(db, { ...input, task }, c.get('actor'));
        if (deps.queue) await syncPolicySchedule(deps.queue, policy);
        return c.json(publicPolicy(policy));
      } catch (error) {
        if (error instanceof RetrainingInputError || error instanceof ScheduleError) throw new ApiError(400, 'invalid_request', error.message);
        throw error;
      }
    },
  );

  return app;
}
