/** `npm run schemas`: writes the hub ⇄ worker contract's JSON Schema files (src/training/worker/contract/). */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SCHEMA_DIR, workerSchemaFiles } from '../src/training/worker/contract/json-schemas.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
mkdirSync(join(root, SCHEMA_DIR), { recursive: true });
for (const [file, text] of Object.entries(workerSchemaFiles())) {
  writeFileSync(join(root, SCHEMA_DIR, file), text);
  process.stdout.write(`wrote ${SCHEMA_DIR}/${file}\n`);
}
