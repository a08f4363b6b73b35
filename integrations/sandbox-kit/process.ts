/**
 * Runs `tuneloop sandbox <vendor>` in a process of its own, as a real vendor would be: its CPU is
 * not charged to the caller, and the caller's event loop cannot stall it. Used by benches and tests.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));

export interface SandboxProcess {
  url: string;
  close(): Promise<void>;
}

export async function startSandboxProcess(vendor: string, options: { seed?: number; items: number; latencyMs?: number; rateLimits?: boolean; extra?: string[] }): Promise<SandboxProcess> {
  const args = ['--import', 'tsx', CLI, 'sandbox', vendor, '--port', '0', '--seed', String(options.seed ?? 5), '--tickets', String(options.items)];
  if (options.latencyMs) args.push('--latency-ms', String(options.latencyMs));
  if (options.rateLimits === false) args.push('--rate-limits', '0');
  if (options.extra) args.push(...options.extra);
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk;
      const match = /on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match?.[1]) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`sandbox exited (${code}): ${output}`)));
  });
  return {
    url,
    close: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
