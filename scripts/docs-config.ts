/**
 * Writes the README's configuration table from src/config/settings.ts (npm run docs:config).
 * test/config/readme-table.test.ts checks the README against the same rendering.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { withSettingsTable } from '../src/config/readme-table.ts';

const target = fileURLToPath(new URL('../README.md', import.meta.url));
const current = readFileSync(target, 'utf8');
const updated = withSettingsTable(current);
if (updated === current) console.log(`${target}: the settings table is up to date`);
else {
  writeFileSync(target, updated);
  console.log(`${target}: settings table rewritten`);
}
