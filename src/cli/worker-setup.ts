/** `tuneloop worker setup [--base-model NAME]`: creates the gpu-worker's virtual environment when missing, then installs a base model if asked. */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { fail } from './context.ts';
import { addBaseModel } from './models/base-models.ts';

const SETUP_SCRIPT = fileURLToPath(new URL('../../gpu-worker/scripts/setup_venv.py', import.meta.url));

export function registerWorkerSetup(worker: Command) {
  worker
    .command('setup')
    .description('create gpu-worker/.venv with torch, transformers, peft, trl (idempotent)')
    .option('--quiet', 'print only errors')
    .option('--python <path>', 'python interpreter to build the venv with', process.env.PYTHON ?? 'python3')
    .option('--base-model <name>', 'then install this base model (tuneloop models base add; downloads once, then offline)')
    .action(async (options: { quiet?: boolean; python: string; baseModel?: string }) => {
      const result = spawnSync(options.python, [SETUP_SCRIPT, ...(options.quiet ? ['--quiet'] : [])], { stdio: 'inherit' });
      if (result.error) fail(`could not run ${options.python}: ${result.error.message}`);
      if (result.status !== 0) fail(`gpu-worker setup failed (exit ${result.status})`, result.status ?? 1);
      // Only when asked: the venv alone stays fast and offline (CI), the model is a download and a conversion.
      if (options.baseModel) await addBaseModel(options.baseModel, { quiet: options.quiet });
    });
}
