// Writes docs/loco.schema.json and docs/loco-toml.md from the field table:
// `node generator/schema/write.ts`. A test fails when the committed files are out of date.

import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { locoJsonSchema } from './json-schema.ts';
import { referencePage } from './reference.ts';

export const docsDir = path.resolve(import.meta.dirname, '..', '..', 'docs');

export function schemaText(): string {
  return JSON.stringify(locoJsonSchema(), null, 2) + '\n';
}

if (import.meta.main) {
  writeFileSync(path.join(docsDir, 'loco.schema.json'), schemaText());
  writeFileSync(path.join(docsDir, 'loco-toml.md'), referencePage());
  console.log(`wrote ${path.join(docsDir, 'loco.schema.json')} and ${path.join(docsDir, 'loco-toml.md')}`);
}
