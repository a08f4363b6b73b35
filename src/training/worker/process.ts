/**
 * Spawns the Python gpu-worker and talks to it the only ways it listens: JSON lines on its stdout,
 * and signals. It runs in its own process group so a stop reaches everything it started
 * (`accelerate launch` children too). Its environment carries no hub secrets, and its stderr goes to
 * the hub log line by line.
 *
 * A pid file in the run folder names the live worker: a hub killed with SIGKILL leaves its worker
 * behind, and the next attempt stops that one before it starts another in the same folder.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { SETTINGS, type Config } from '../../config.ts';
import type { Logger } from '../../log.ts';
import { scrubText } from '../../security/scrub.ts';

export const WORKER_DIR = fileURLToPath(new URL('../../../gpu-worker', import.meta.url));
const PID_FILE = 'worker.pid';

export function workerPython(config: Pick<Config, 'TUNELOOP_WORKER_PYTHON'>): string {
  return config.TUNELOOP_WORKER_PYTHON ?? join(WORKER_DIR, '.venv', 'bin', 'python');
}

/** The hub's environment minus every secret setting, plus quiet, line-buffered Python. */
export function workerEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const secret = new Set(Object.entries(SETTINGS).flatMap(([key, setting]) => ('secret' in setting && setting.secret ? [key] : [])));
  const out: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(env)) if (!secret.has(key) && !key.startsWith('OPENAI_')) out[key] = value;
  return { ...out, PYTHONUNBUFFERED: '1', TOKENIZERS_PARALLELISM: 'false', HF_HUB_DISABLE_PROGRESS_BARS: '1' };
}

/** The values of the hub's secret settings, to scrub from what the worker prints. */
function secretValues(env: NodeJS.ProcessEnv = process.env): string[] {
  return Object.entries(SETTINGS).flatMap(([key, setting]) => {
    const value = 'secret' in setting && setting.secret ? env[key] : undefined;
    return value ? [value] : [];
  });
}

export interface WorkerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface RunningWorker {
  pid: number;
  exited: Promise<WorkerExit>;
  /** SIGTERM to the group (the worker saves nothing more and exits 130), SIGKILL after `graceMs`. */
  stop(graceMs: number): Promise<WorkerExit>;
}

/**
 * The worker's argv: `python -m tuneloop_worker ARGS`, or under `accelerate launch LAUNCH_ARGS` for
 * several processes (one per GPU; only rank 0 writes events).
 */
export function workerArgv(args: string[], accelerateArgs: string | undefined): string[] {
  const launch = accelerateArgs ? ['-m', 'accelerate.commands.launch', ...accelerateArgs.split(/\s+/).filter(Boolean)] : [];
  return [...launch, '-m', 'tuneloop_worker', ...args];
}

export function startWorker(options: {
  python: string;
  args: string[];
  accelerateArgs?: string;
  log: Logger;
  onLine: (line: string) => void;
  pidDir?: string;
}): RunningWorker {
  const child = spawn(options.python, workerArgv(options.args, options.accelerateArgs), {
    cwd: WORKER_DIR,
    env: workerEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const exited = new Promise<WorkerExit>((resolveExit) => {
    child.once('error', (error) => {
      options.log.error({ err: error, python: options.python }, 'could not start the gpu-worker; run `tuneloop worker setup`');
      resolveExit({ code: 127, signal: null });
    });
    // 'close', not 'exit': every line of stdout has been read by then.
    child.once('close', (code, signal) => resolveExit({ code, signal }));
  });
  const pid = child.pid ?? -1;
  const knownSecrets = secretValues();
  createInterface({ input: child.stdout }).on('line', options.onLine);
  createInterface({ input: child.stderr }).on('line', (line) => {
    // A library may print a token (a Hugging Face URL, a request dump): scrubbed before it is logged.
    if (line.trim()) options.log.info({ workerPid: pid, stream: 'stderr' }, scrubText(line.slice(0, 2_000), knownSecrets));
  });
  if (options.pidDir && pid > 0) {
    const pidDir = options.pidDir;
    void writeFile(join(pidDir, PID_FILE), JSON.stringify({ pid, host: hostname() })).catch(() => undefined);
    void exited.then(() => rm(join(pidDir, PID_FILE), { force: true }));
  }

  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-pid, signal);
    } catch {
      // Already gone.
    }
  };
  return {
    pid,
    exited,
    async stop(graceMs) {
      signalGroup('SIGTERM');
      const timer = setTimeout(() => signalGroup('SIGKILL'), graceMs);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
  };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** True when `pid` is still a gpu-worker training into `dir` (a pid may have been reused). */
function isOurWorker(pid: number, dir: string): boolean {
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return cmdline.includes('tuneloop_worker') && cmdline.some((arg) => arg.startsWith(dir));
  } catch {
    return false; // no /proc (not Linux) or gone: never signal a process we cannot identify
  }
}

/** Stops a worker left running in `dir` by a process that died (same machine only). */
export async function stopLeftoverWorker(dir: string, log: Logger, graceMs: number): Promise<boolean> {
  let recorded: { pid?: unknown; host?: unknown };
  try {
    recorded = JSON.parse(await readFile(join(dir, PID_FILE), 'utf8')) as typeof recorded;
  } catch {
    return false;
  }
  const pid = typeof recorded.pid === 'number' ? recorded.pid : -1;
  if (recorded.host !== hostname() || pid <= 0 || !alive(pid) || !isOurWorker(pid, dir)) return false;
  log.warn({ workerPid: pid }, 'stopping a gpu-worker left running by an earlier attempt');
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pid, sig);
    } catch {
      // gone
    }
  };
  signal('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (alive(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  if (alive(pid)) signal('SIGKILL');
  // Bounded: a zombie whose parent never reaps it stays "alive" to kill(pid, 0) forever.
  for (let waited = 0; alive(pid) && isOurWorker(pid, dir) && waited < 5_000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
  await rm(join(dir, PID_FILE), { force: true });
  return true;
}
