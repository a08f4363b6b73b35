/** `tuneloop sandbox <vendor>`: a vendor API sandbox on loopback, for demos and trying things out. */
import { Command } from 'commander';
import { SANDBOXES } from '../../integrations/registry.ts';
import type { RunningSandbox, SandboxLauncher } from '../../integrations/types.ts';
import { fail } from './context.ts';

function parseValues(launcher: SandboxLauncher, given: Record<string, string | undefined>): Record<string, number | undefined> {
  const values: Record<string, number | undefined> = {};
  for (const option of launcher.options) {
    const text = given[camel(option.name)];
    if (text === undefined) {
      values[option.name] = option.default;
      continue;
    }
    const parsed = Number(text);
    const min = option.min ?? 0;
    if (!Number.isFinite(parsed) || parsed < min) fail(`--${option.name} must be a number >= ${min}`, 2);
    values[option.name] = parsed;
  }
  return values;
}

/** commander's key for an option: "rate-limit-every" → "rateLimitEvery". */
function camel(name: string): string {
  return name.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase());
}

async function serveUntilSignal(start: () => Promise<RunningSandbox>) {
  let started: RunningSandbox;
  try {
    started = await start();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    fail(code === 'EADDRINUSE' ? 'that port is already in use; pick another with --port (0 picks a free one)' : `sandbox failed to start: ${(error as Error).message}`);
  }
  process.stdout.write(`${started.instructions.join('\n')}\nCtrl-C stops it.\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await started.close();
}

/** Each sandbox's code and options load only when that sandbox is asked for (`sandbox zendesk --help`). */
export function registerSandboxCommands(program: Command) {
  const names = Object.keys(SANDBOXES);
  program
    .command('sandbox')
    .description(`run a vendor API sandbox on loopback with realistic data and fault injection (${names.join(', ')}; \`sandbox <name> --help\` lists its options)`)
    .argument('<name>', names.join(' | '))
    .allowUnknownOption()
    .allowExcessArguments()
    .helpOption(false)
    .action(async (name: string, _options: unknown, command: Command) => {
      const load = Object.hasOwn(SANDBOXES, name) ? SANDBOXES[name] : undefined;
      if (!load) fail(`no sandbox "${name}"; there are: ${names.join(', ')}`, 2);
      const launcher = await load();
      const sandbox = new Command(`tuneloop sandbox ${name}`).description(launcher.description).showHelpAfterError();
      for (const option of launcher.options) {
        sandbox.option(`--${option.name} <n>`, option.description, option.default === undefined ? undefined : String(option.default));
      }
      sandbox.action((given: Record<string, string | undefined>) => serveUntilSignal(() => launcher.start(parseValues(launcher, given))));
      await sandbox.parseAsync(command.args.slice(1), { from: 'user' });
    });
}
