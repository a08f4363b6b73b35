/**
 * Registered base models: TUNELOOP_HOME/base-models/<name>/, each a Hugging Face folder with the
 * manifest tuneloop-base-model.json that the converter writes last-but-rename (a folder without one
 * is not a base model). A run names one by its name; the worker is handed the folder.
 * A model given as a Hugging Face id ("org/name") or a path is used as it is.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { BASE_MODEL_CATALOG } from './catalog.ts';

export const MANIFEST_FILE = 'tuneloop-base-model.json';

const Manifest = z.object({
  source_file: z.string(),
  source_sha256: z.string(),
  weights_file: z.string(),
  weights_sha256: z.string(),
  architecture: z.string(),
  parameters: z.number().int(),
  context_length: z.number().int().min(0),
});

export interface BaseModel extends z.infer<typeof Manifest> {
  name: string;
  path: string;
}

export function baseModelsDir(home: string): string {
  return resolve(home, 'base-models');
}

/** Names are folder names: lower-case letters, digits, ".", "_" and "-". */
export const BASE_MODEL_NAME = /^[a-z0-9][a-z0-9._-]{0,99}$/;

function readManifest(home: string, name: string): BaseModel | null {
  const path = join(baseModelsDir(home), name);
  try {
    const manifest = Manifest.parse(JSON.parse(readFileSync(join(path, MANIFEST_FILE), 'utf8')));
    return { ...manifest, name, path };
  } catch {
    return null;
  }
}

export function listBaseModels(home: string): BaseModel[] {
  const dir = baseModelsDir(home);
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && BASE_MODEL_NAME.test(entry.name))
    .map((entry) => readManifest(home, entry.name))
    .filter((model): model is BaseModel => model !== null)
    .sort((a, b) => a.name.localeCompare(b.name));
}

export function getBaseModel(home: string, name: string): BaseModel | null {
  return BASE_MODEL_NAME.test(name) ? readManifest(home, name) : null;
}

/** What the worker's from_pretrained is given for a run's `model`: a registered name's folder, else the model as it is. */
export function resolveBaseModel(home: string, model: string): string {
  return getBaseModel(home, model)?.path ?? model;
}

export class BaseModelError extends Error {
  override name = 'BaseModelError';
}

/**
 * Refuses a run's base model before anything is queued. A name without "/" that is not registered
 * is refused when it is in the catalog (not installed here) or when this hub registers base models
 * at all (then such names are registry names); with no registry, it is left to the worker as a
 * model id, as before. A registered model's context length bounds max_seq_length.
 */
export function checkBaseModel(home: string, model: string, maxSeqLength: number): void {
  const registered = getBaseModel(home, model);
  if (registered) {
    if (registered.context_length > 0 && maxSeqLength > registered.context_length) {
      throw new BaseModelError(`max_seq_length ${maxSeqLength} exceeds the context of ${model} (${registered.context_length} tokens)`);
    }
    return;
  }
  if (model.includes('/') || model.startsWith('.') || existsSync(model)) return;
  const names = listBaseModels(home).map((m) => m.name);
  if (!(model in BASE_MODEL_CATALOG) && names.length === 0) return;
  const install = model in BASE_MODEL_CATALOG ? ` (install it: tuneloop models base add ${model})` : '';
  throw new BaseModelError(`base model "${model}" is not registered here${install}; registered base models: ${names.length ? names.join(', ') : 'none'}`);
}
