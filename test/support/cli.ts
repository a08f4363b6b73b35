/** Runs the real `tuneloop` CLI in a child process, as a user would, and reads its JSON log lines. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
// node --import tsx runs the CLI in ONE process, so a signal (even SIGKILL) reaches the hub itself.
const NODE = `${ROOT}node_modules/.bin/node`;
const CLI = `${ROOT}src/cli.ts`;

export interface RunningCli {
  child: ChildProcess;
  /** Resolves with the first JSON log line for which `match` is true. */
  waitForLog(match: (line: Record<string, unknown>) => boolean, what: string): Promise<Record<string, unknown>>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output(): string;
}

/** The test's environment plus `env`; a key set to undefined is removed, not passed as "undefined". */
export function cliEnv(env: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const merged: NodeJS.ProcessEnv = { ...process.env, LOG_FORMAT: 'json', LOG_LEVEL: 'info', ...env };
  for (const [key, value] of Object.entries(merged)) if (value === undefined) delete merged[key];
  return merged;
}

export function startCli(args: string[], env: Record<string, string | undefined>): RunningCli {
  const child = spawn(NODE, ['--import', 'tsx', CLI, ...args], { cwd: ROOT, env: cliEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const waiters: Array<{ match: (line: Record<string, unknown>) => boolean; resolve: (line: Record<string, unknown>) => void }> = [];
  let buffered = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk;
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const text of lines) {
      let line: Record<string, unknown>;
      try {
        line = JSON.parse(text) as Record<string, unknown>;
      } catch {
        continue;
      }
      for (const waiter of [...waiters]) {
        if (waiter.match(line)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(line);
        }
      }
    }
  });
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    exited,
    output: () => output,
    waitForLog(match, what) {
      return new Promise((resolve, reject) => {
        waiters.push({ match, resolve });
        exited.then(({ code, signal }) => reject(new Error(`exited (${code ?? signal}) before: ${what}\n${output}`)));
      });
    },
  };
}

export function runCli(args: string[], env: Record<string, string | undefined>) {
  const result = spawnSync(NODE, ['--import', 'tsx', CLI, ...args], { cwd: ROOT, env: cliEnv(env), encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}
