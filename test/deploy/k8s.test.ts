/**
 * deploy/k8s: hub replicas serve HTTP and run no queue, job workers run every queue that needs no
 * GPU, GPU workers run training and evaluation on GPU nodes, and each pod is non-root with the
 * shared /data volume. Schema validation by kubeconform, else kubernetes-validate, where
 * installed (.ci/run installs the latter); skipped with a message otherwise.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { handledJobNames } from '../../src/jobs/handlers.ts';
import { findTool, ROOT, run } from './tools.ts';

const DIR = join(ROOT, 'deploy/k8s');
const files = readdirSync(DIR).filter((name) => name.endsWith('.yaml') && name !== 'kustomization.yaml');

interface Container {
  image: string;
  command?: string[];
  args?: string[];
  ports?: Array<{ name: string; containerPort: number }>;
  readinessProbe?: { httpGet: { path: string; port: string } };
  livenessProbe?: { httpGet: { path: string; port: string } };
  envFrom?: Array<{ secretRef?: { name: string }; configMapRef?: { name: string } }>;
  resources?: { limits?: Record<string, unknown> };
  volumeMounts?: Array<{ name: string; mountPath: string; readOnly?: boolean }>;
}
interface PodSpec {
  nodeSelector?: Record<string, string>;
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number };
  containers: Container[];
  volumes?: Array<{ name: string; persistentVolumeClaim?: { claimName: string } }>;
}
interface Resource {
  kind: string;
  metadata: { name: string };
  spec: { template?: { spec: PodSpec } };
}
const resources = files.flatMap((name) => parseAllDocuments(readFileSync(join(DIR, name), 'utf8')).map((doc) => doc.toJS() as Resource));
const deployments = new Map(resources.filter((each) => each.kind === 'Deployment').map((each) => [each.metadata.name, each.spec.template?.spec as PodSpec]));

function container(name: string): Container {
  const pod = deployments.get(name);
  expect(pod, name).toBeDefined();
  return pod?.containers[0] as Container;
}

function queues(command: string[] | undefined, flag: string): string[] {
  const args = command ?? [];
  const index = args.indexOf(flag);
  return index === -1 ? [] : (args[index + 1] ?? '').split(',');
}

describe('deploy/k8s', () => {
  it('has a hub, job workers, GPU workers and vLLM, all listed in kustomization.yaml', () => {
    expect([...deployments.keys()].sort()).toEqual(['tuneloop-gpu-worker', 'tuneloop-hub', 'tuneloop-jobs', 'tuneloop-vllm']);
    const kustomization = parse(readFileSync(join(DIR, 'kustomization.yaml'), 'utf8')) as { resources: string[] };
    expect([...kustomization.resources].sort()).toEqual([...files].sort());
  });

  it('splits the queues: the hub runs none, GPU workers train and evaluate, job workers run the rest', () => {
    const hubSkips = queues(container('tuneloop-hub').command, '--skip-queues');
    const jobQueues = queues(container('tuneloop-jobs').command, '--queues');
    const gpuQueues = queues(container('tuneloop-gpu-worker').command, '--queues');
    const handled = handledJobNames().sort();
    expect([...hubSkips].sort()).toEqual(handled);
    expect([...gpuQueues].sort()).toEqual(['finetune.train', 'model.evaluate']);
    expect(jobQueues.filter((name) => gpuQueues.includes(name))).toEqual([]);
    expect([...jobQueues, ...gpuQueues].sort()).toEqual(handled);
  });

  it('puts GPU work on GPU nodes with one GPU each, and nothing else on a GPU', () => {
    for (const name of ['tuneloop-gpu-worker', 'tuneloop-vllm']) {
      expect(deployments.get(name)?.nodeSelector, name).toEqual({ 'nvidia.com/gpu.present': 'true' });
      expect(container(name).resources?.limits?.['nvidia.com/gpu'], name).toBe(1);
    }
    for (const name of ['tuneloop-hub', 'tuneloop-jobs']) expect(container(name).resources?.limits?.['nvidia.com/gpu'], name).toBeUndefined();
    expect(container('tuneloop-gpu-worker').image).toMatch(/^tuneloop-worker-cuda:/);
    for (const name of ['tuneloop-hub', 'tuneloop-jobs']) expect(container(name).image).toMatch(/^tuneloop:/);
  });

  it('runs tuneloop as uid 1000 with the shared /data, the secrets, and probes on the port it serves', () => {
    for (const name of ['tuneloop-hub', 'tuneloop-jobs', 'tuneloop-gpu-worker']) {
      const pod = deployments.get(name) as PodSpec;
      const main = container(name);
      expect(pod.securityContext, name).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
      const data = main.volumeMounts?.find((mount) => mount.mountPath === '/data');
      expect(pod.volumes?.find((volume) => volume.name === data?.name)?.persistentVolumeClaim?.claimName, name).toBe('tuneloop-data');
      expect(main.envFrom?.some((source) => source.secretRef?.name === 'tuneloop-secrets'), name).toBe(true);
      const args = main.command ?? [];
      const port = args.includes('--health-port') ? Number(args[args.indexOf('--health-port') + 1]) : 8080;
      const probePort = main.ports?.find((each) => each.name === main.readinessProbe?.httpGet.port)?.containerPort;
      expect(probePort, name).toBe(port);
      expect(main.readinessProbe?.httpGet.path).toBe('/readyz');
      expect(main.livenessProbe?.httpGet.path).toBe('/healthz');
    }
    // vLLM reads the adapters the workers write, and writes nothing there.
    expect(container('tuneloop-vllm').volumeMounts?.find((mount) => mount.mountPath === '/data')?.readOnly).toBe(true);
  });

  const kubeconform = findTool('kubeconform', ['-v']);
  const kubernetesValidate = kubeconform ? null : findTool('kubernetes-validate', ['--version']);
  const validator = kubeconform ? 'kubeconform' : kubernetesValidate ? 'kubernetes-validate' : null;
  it.skipIf(!validator)(
    validator ? `${validator} accepts every manifest (strict)` : 'Kubernetes schema validation: skipped, neither kubeconform nor kubernetes-validate is installed (pip install kubernetes-validate)',
    () => {
      const paths = files.map((name) => join('deploy/k8s', name));
      const result = kubeconform
        ? run(kubeconform, ['-strict', '-summary', ...paths])
        : run(kubernetesValidate as NonNullable<typeof kubernetesValidate>, ['--strict', '--quiet', ...paths]);
      expect(result.status, result.output).toBe(0);
      expect(result.output).not.toMatch(/ERROR|invalid/i);
    },
  );
});
