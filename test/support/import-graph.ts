/**
 * The import graph of the hub's own TypeScript (src/ and integrations/), type-only imports and
 * dynamic import() included, from the source text alone. Relative imports are resolved to files;
 * package imports are kept by name.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';

const IMPORT = /(?:import|export)\s+(?:type\s+)?(?:[^'"]*?\s+from\s+)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gs;

export interface ImportGraph {
  /** file → the repository files it imports */
  files: Map<string, Set<string>>;
  /** file → the packages it imports ("pg-boss", "@slack/bolt") */
  packages: Map<string, Set<string>>;
}

function* sources(root: string, dir: string): Generator<string> {
  for (const name of readdirSync(join(root, dir))) {
    const path = join(dir, name);
    if (statSync(join(root, path)).isDirectory()) yield* sources(root, path);
    else if ((name.endsWith('.ts') || name.endsWith('.tsx')) && !name.endsWith('.d.ts')) yield path;
  }
}

function resolveImport(root: string, from: string, spec: string): string | null {
  const base = normalize(join(dirname(from), spec));
  for (const candidate of [base, base.replace(/\.js$/, '.ts'), `${base}.ts`, join(base, 'index.ts')]) {
    if ((candidate.endsWith('.ts') || candidate.endsWith('.tsx')) && existsSync(join(root, candidate))) return candidate;
  }
  return null;
}

function packageName(spec: string): string {
  const parts = spec.split('/');
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? spec);
}

export function importGraph(root: string, dirs: string[]): ImportGraph {
  const graph: ImportGraph = { files: new Map(), packages: new Map() };
  for (const dir of dirs) {
    for (const file of sources(root, dir)) {
      const files = new Set<string>();
      const packages = new Set<string>();
      for (const match of readFileSync(join(root, file), 'utf8').matchAll(IMPORT)) {
        const spec = match[1] ?? match[2] ?? '';
        if (spec.startsWith('.')) {
          const target = resolveImport(root, file, spec);
          if (target) files.add(relative('.', target));
        } else if (!spec.startsWith('node:')) packages.add(packageName(spec));
      }
      graph.files.set(file, files);
      graph.packages.set(file, packages);
    }
  }
  return graph;
}

/** Strongly connected components of more than one file (Tarjan), each sorted. */
export function cycles(files: Map<string, Set<string>>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  let counter = 0;
  const visit = (v: string) => {
    index.set(v, counter);
    low.set(v, counter);
    counter++;
    stack.push(v);
    onStack.add(v);
    for (const w of files.get(v) ?? []) {
      if (!files.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v) as number, index.get(w) as number));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      for (;;) {
        const w = stack.pop() as string;
        onStack.delete(w);
        component.push(w);
        if (w === v) break;
      }
      if (component.length > 1) out.push(component.sort());
    }
  };
  for (const v of files.keys()) if (!index.has(v)) visit(v);
  return out;
}
