import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { RunConfig } from '../../src/training/worker/contract/run-config.ts';
import { SCHEMA_DIR, workerSchemaFiles } from '../../src/training/worker/contract/json-schemas.ts';
import { resolveMethod, workerSettings } from '../../src/training/hyperparameters.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** The worker validates against the committed files; they must be what the hub's declarations say. */
describe('hub ⇄ worker contract schemas', () => {
  it('the committed JSON Schema files are exactly what the zod declarations generate (run `npm run schemas` after a change)', () => {
    const generated = workerSchemaFiles();
    const committed = readdirSync(`${root}${SCHEMA_DIR}`).filter((file) => file.endsWith('.schema.json')).sort();
    expect(committed).toEqual(Object.keys(generated).sort());
    for (const [file, text] of Object.entries(generated)) expect(readFileSync(`${root}${SCHEMA_DIR}/${file}`, 'utf8'), file).toBe(text);
  });

  it('what the hub writes for a run is a run config the contract accepts', () => {
    const { method, hyperparameters } = resolveMethod('local', { type: 'dpo', hyperparameters: { beta: 0.2, lora: { r: 8, target_modules: ['q_proj'] }, max_steps: 5, precision: 'fp32' } }, undefined);
    const config = { base_model: '/models/base', train_file: '/r/train.jsonl', validation_file: '/r/validation.jsonl', seed: 7, ...workerSettings(method, hyperparameters) };
    expect(RunConfig.safeParse(config).success).toBe(true);
    expect(RunConfig.safeParse({ ...config, lerning_rate: 1e-4 }).success).toBe(false);
  });
});
