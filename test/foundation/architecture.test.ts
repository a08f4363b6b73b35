/**
 * The layout's promises (README "How it is built"), checked on every import of src/ and
 * integrations/, type-only ones included: no cycles; src/ reaches vendors only through
 * integrations/registry.ts and integrations/types.ts; the loop's stages import only earlier ones;
 * vendor SDKs stay in their vendor folder and pg-boss in src/queue/.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { cycles, importGraph } from '../support/import-graph.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const graph = importGraph(root, ['src', 'integrations']);
const edges = [...graph.files].flatMap(([from, targets]) => [...targets].map((to) => ({ from, to })));

/** The loop, in order: a stage may import itself and earlier stages, never a later one. */
const STAGES = ['harvest', 'datasets', 'training', 'models', 'serving'];
const stageOf = (file: string) => (file.startsWith('src/') ? STAGES.indexOf(file.split('/')[1] ?? '') : -1);
/** What every stage may use; none of it may import a stage. */
const SHARED = ['src/db/', 'src/queue/', 'src/artifacts/', 'src/security/', 'src/events/', 'src/connections/', 'src/auth/', 'src/webhooks/', 'src/config.ts', 'src/log.ts', 'src/metrics.ts', 'src/audit.ts', 'src/safe-error.ts', 'src/deps.ts'];

const VENDOR_SDKS: Record<string, string> = {
  'node-zendesk': 'integrations/zendesk/',
  jsforce: 'integrations/salesforce/',
  '@hubspot/api-client': 'integrations/hubspot/',
  '@slack/web-api': 'integrations/slack/',
  '@slack/bolt': 'integrations/slack/',
  '@slack/socket-mode': 'integrations/slack/',
  'intercom-client': 'integrations/intercom/',
  imapflow: 'integrations/email/',
  mailparser: 'integrations/email/',
};

describe('architecture', () => {
  it('has source files to check', () => {
    expect(graph.files.size).toBeGreaterThan(250);
  });

  it('has no import cycles, type-only imports included', () => {
    expect(cycles(graph.files)).toEqual([]);
  });

  it('src/ reaches vendors only through integrations/registry.ts and integrations/types.ts', () => {
    const leaks = edges.filter(({ from, to }) => from.startsWith('src/') && to.startsWith('integrations/') && to !== 'integrations/registry.ts' && to !== 'integrations/types.ts');
    expect(leaks).toEqual([]);
  });

  it('data flows one way: harvest → datasets → training → models → serving', () => {
    const backwards = edges.filter(({ from, to }) => stageOf(from) >= 0 && stageOf(to) > stageOf(from));
    expect(backwards).toEqual([]);
    const sharedIntoStages = edges.filter(({ from, to }) => SHARED.some((prefix) => from.startsWith(prefix)) && stageOf(to) >= 0);
    expect(sharedIntoStages).toEqual([]);
  });

  it('vendor SDKs are imported only in their vendor folder, pg-boss only in src/queue/', () => {
    const misplaced = [...graph.packages].flatMap(([file, packages]) =>
      [...packages].filter((name) => (VENDOR_SDKS[name] && !file.startsWith(VENDOR_SDKS[name] as string)) || (name === 'pg-boss' && !file.startsWith('src/queue/'))).map((name) => `${file} imports ${name}`),
    );
    expect(misplaced).toEqual([]);
  });

  it('a vendor folder uses only the shared contract and kits, never another vendor or the hub', () => {
    const shared = ['integrations/types.ts', 'integrations/common/', 'integrations/sandbox-kit/'];
    const vendorOf = (file: string) => (file.startsWith('integrations/') ? file.split('/')[1] : null);
    const crossing = edges.filter(({ from, to }) => {
      const vendor = vendorOf(from);
      if (!vendor || from === 'integrations/registry.ts' || !from.includes('/', 'integrations/'.length)) return false;
      if (to.startsWith('src/')) return true;
      return vendorOf(to) !== vendor && !shared.some((prefix) => to.startsWith(prefix));
    });
    expect(crossing).toEqual([]);
  });
});
