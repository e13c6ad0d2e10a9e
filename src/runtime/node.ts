/**
 * `npm start`'s entry on Node. It turns on Node's compile cache before anything else is loaded:
 * V8's code for the ~800 modules of a start is then read from disk (os.tmpdir()/node-compile-cache)
 * instead of compiled again, about 0.4 s and 25 MB less on each start after the first
 * (bench/startup.ts). Static imports would be compiled before this line runs, hence the dynamic one.
 * Bun and Deno have their own caches and may not have this function.
 */
import * as nodeModule from 'node:module';

(nodeModule as { enableCompileCache?: () => unknown }).enableCompileCache?.();
await import('./node-server.ts');
