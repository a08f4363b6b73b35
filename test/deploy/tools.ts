/**
 * The deploy checks' view of the machine: which optional command-line tools are here (docker
 * compose, hadolint, kubeconform), and a small Dockerfile reader. A missing tool skips its check
 * with a message naming it; .ci/run installs them where it can.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface Tool {
  /** argv prefix that runs the tool, e.g. ['docker', 'compose'] */
  argv: string[];
}

function works(argv: string[]): boolean {
  const result = spawnSync(argv[0] ?? '', [...argv.slice(1)], { encoding: 'utf8', timeout: 20_000 });
  return result.status === 0;
}

/** `docker compose` (v2 plugin) or Debian's `docker-compose`; null when neither runs. */
export function composeTool(): Tool | null {
  if (works(['docker', 'compose', 'version'])) return { argv: ['docker', 'compose'] };
  if (works(['docker-compose', 'version'])) return { argv: ['docker-compose'] };
  return null;
}

export function findTool(name: string, versionArgs: string[] = ['--version']): Tool | null {
  return works([name, ...versionArgs]) ? { argv: [name] } : null;
}

/** True when a Docker daemon answers (so images can be built and started). */
export function dockerDaemon(): boolean {
  return works(['docker', 'info', '--format', '{{.ServerVersion}}']);
}

export function run(tool: Tool, args: string[], env: NodeJS.ProcessEnv = process.env, timeout = 120_000) {
  const [command = '', ...prefix] = tool.argv;
  const result = spawnSync(command, [...prefix, ...args], { cwd: ROOT, env, encoding: 'utf8', timeout });
  return { status: result.status, output: `${result.stdout ?? ''}${result.stderr ?? ''}` };
}

export interface Instruction {
  keyword: string;
  args: string;
}

export interface Stage {
  name: string;
  base: string;
  instructions: Instruction[];
}

/** A Dockerfile's stages with their instructions (continuation lines joined, comments dropped). */
export function readDockerfile(path: string): Stage[] {
  const logical = readFileSync(path, 'utf8')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
  const stages: Stage[] = [];
  for (const line of logical) {
    const [keyword = '', ...rest] = line.split(/\s+/);
    const args = rest.join(' ');
    if (keyword.toUpperCase() === 'FROM') {
      const match = /^(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      stages.push({ base: match?.[1] ?? args, name: match?.[2] ?? String(stages.length), instructions: [] });
    } else {
      stages.at(-1)?.instructions.push({ keyword: keyword.toUpperCase(), args });
    }
  }
  return stages;
}

/** The JSON-array form of CMD/ENTRYPOINT/HEALTHCHECK CMD, parsed. */
export function execForm(args: string): string[] {
  const json = args.slice(args.indexOf('['));
  return JSON.parse(json) as string[];
}
