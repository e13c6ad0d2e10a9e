/**
 * schema.graphql must match the Pothos schema. Checked by running the print script itself (with
 * --check) under tsx, as `npm run schema:print` does: under vitest our files and Pothos would load
 * two different builds of graphql (ESM and CJS), and printSchema refuses a schema from the other.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, test } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

test('schema.graphql is the printed, sorted schema (run npm run schema:print when this fails)', async () => {
  const run = promisify(execFile);
  const result = await run(`${root}node_modules/.bin/tsx`, ['scripts/print-schema.ts', '--check'], {
    cwd: root,
  }).catch((error: { stdout: string; stderr: string; code: number }) => error);
  expect(result.stderr).toBe('');
  expect(result.stdout).toContain('is up to date');
}, 30_000);
