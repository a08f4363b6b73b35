/**
 * The hub ⇄ worker contract as JSON Schema files, one per declaration, for the Python side. Written
 * by `npm run schemas`; test/training/worker-contract-schemas.test.ts checks the committed files.
 */
import { z } from 'zod';
import { EvalConfig } from './eval-config.ts';
import { WorkerEvent } from './events.ts';
import { RunConfig } from './run-config.ts';

/** Relative to the repository root: inside the Python package, so an installed worker has them. */
export const SCHEMA_DIR = 'gpu-worker/tuneloop_worker/schemas';

const DECLARATIONS = {
  'run-config.schema.json': { schema: RunConfig, title: 'tuneloop gpu-worker run config (run.json)', source: 'src/training/worker/contract/run-config.ts' },
  'eval-config.schema.json': { schema: EvalConfig, title: 'tuneloop gpu-worker evaluation config (eval.json)', source: 'src/training/worker/contract/eval-config.ts' },
  'worker-event.schema.json': { schema: WorkerEvent, title: 'tuneloop gpu-worker event (one JSON line on stdout)', source: 'src/training/worker/contract/events.ts' },
} as const;

/** File name → its text, exactly as committed. */
export function workerSchemaFiles(): Record<string, string> {
  const files: Record<string, string> = {};
  for (const [file, { schema, title, source }] of Object.entries(DECLARATIONS)) {
    // io 'input': what the worker may receive, so fields with defaults are optional.
    const json = z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input' });
    files[file] = `${JSON.stringify({ title, $comment: `Generated from ${source} by npm run schemas; do not edit.`, ...json }, null, 2)}\n`;
  }
  return files;
}
