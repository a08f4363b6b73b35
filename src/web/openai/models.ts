/**
 * `GET /v1/models`: what this token may call, in OpenAI's list shape: `<task>@production` and
 * `<task>@candidate` for each task with such a model, the operators' aliases, and the model ids.
 */
import { eq, ne } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { modelAliases, models } from '../../db/schema/index.ts';
import { mayUse, type Caller } from '../../models/gateway/gateway.ts';

export interface ListedModel {
  id: string;
  object: 'model';
  created: number;
  owned_by: 'tuneloop';
  /** tuneloop's own fields: the model id behind the name, its task and status. */
  model_id: string;
  task: string;
  status: string;
}

const unix = (date: Date) => Math.floor(date.getTime() / 1000);

export async function listCallableModels(db: Db, caller: Caller): Promise<ListedModel[]> {
  const rows = await db.select().from(models).where(ne(models.status, 'archived'));
  const aliases = await db.select({ name: modelAliases.name, model: models }).from(modelAliases).innerJoin(models, eq(models.id, modelAliases.modelId));
  const listed: ListedModel[] = [];
  const add = (id: string, model: typeof models.$inferSelect, names: string[]) => {
    if (mayUse(caller, model, names)) listed.push({ id, object: 'model', created: unix(model.createdAt), owned_by: 'tuneloop', model_id: model.id, task: model.task, status: model.status });
  };
  const newestCandidate = new Map<string, typeof models.$inferSelect>();
  for (const model of rows) {
    if (model.status === 'production') add(`${model.task}@production`, model, [`${model.task}@production`]);
    if (model.status === 'candidate' && (newestCandidate.get(model.task)?.createdAt ?? new Date(0)) < model.createdAt) newestCandidate.set(model.task, model);
  }
  for (const [task, model] of newestCandidate) add(`${task}@candidate`, model, [`${task}@candidate`]);
  for (const alias of aliases) add(alias.name, alias.model, [alias.name]);
  for (const model of rows) add(model.id, model, []);
  return listed;
}

export async function findCallableModel(db: Db, caller: Caller, id: string): Promise<ListedModel | null> {
  return (await listCallableModels(db, caller)).find((model) => model.id === id) ?? null;
}
