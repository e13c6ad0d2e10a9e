/**
 * The app's file access (Platform) on node:fs, which Node, Bun and Deno all provide, so every
 * runtime entry shares it. Kept in src/runtime because it is the only place node:* may appear.
 */
import { mkdir, readFile } from 'node:fs/promises';
import type { Platform } from '../app.ts';

export const fsPlatform: Platform = {
  readTextFile: (path) => readFile(path, 'utf8'),
  makeDirectory: async (path) => {
    await mkdir(path, { recursive: true });
  },
};
