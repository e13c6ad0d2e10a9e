/**
 * Writes schema.graphql from the Pothos schema (npm run schema:print). With --check it writes
 * nothing and exits 1 when the file is stale; test/graphql/schema-file.test.ts runs that.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { printSortedSchema } from '../src/graphql/print.ts';

const target = fileURLToPath(new URL('../schema.graphql', import.meta.url));
const printed = printSortedSchema();

if (process.argv.includes('--check')) {
  let current = '';
  try {
    current = readFileSync(target, 'utf8');
  } catch {
    // a missing file is stale too
  }
  if (current !== printed) {
    console.error(`${target} is stale: run npm run schema:print`);
    process.exit(1);
  }
  console.log(`${target} is up to date`);
} else {
  writeFileSync(target, printed);
  console.log(`wrote ${target}`);
}
