/**
 * `npm start`'s entry on Node: two start-up measures taken before anything else is loaded (static
 * imports would be loaded before this code runs, hence the dynamic import at the end). Bun and
 * Deno have their own module caches and resolvers and may not have these functions.
 *
 * - Node's compile cache: V8's code for the ~800 modules of a start is read from disk
 *   (os.tmpdir()/node-compile-cache) instead of compiled again, about 0.4 s and 25 MB less on each
 *   start after the first (bench/startup.ts).
 * - drizzle-orm's imports of its own files resolved here. Node 24's resolver reads the nearest
 *   package.json for each file to know its format, and parses that file's whole `exports` again
 *   each time (getPackageScopeConfig spreads the lazily parsed fields): drizzle-orm's is 175 KB, for
 *   the ~110 drizzle files of a start, about 0.35 s of the ~0.6 s of module loading (CPU profile).
 *   Its files are all ES modules ("type": "module", no nested package.json) importing each other by
 *   relative paths with extensions, which is a plain URL resolution.
 */
import * as nodeModule from 'node:module';

type ResolveHook = (
  specifier: string,
  context: { parentURL?: string },
  next: (specifier: string, context: { parentURL?: string }) => unknown,
) => unknown;
const node = nodeModule as {
  enableCompileCache?: () => unknown;
  registerHooks?: (hooks: { resolve: ResolveHook }) => unknown;
};

const DRIZZLE = '/node_modules/drizzle-orm/';

node.enableCompileCache?.();
node.registerHooks?.({
  resolve(specifier, context, next) {
    const parent = context.parentURL;
    if (
      parent?.includes(DRIZZLE) &&
      (specifier.startsWith('./') || specifier.startsWith('../')) &&
      specifier.endsWith('.js')
    ) {
      return { url: new URL(specifier, parent).href, format: 'module', shortCircuit: true };
    }
    return next(specifier, context);
  },
});
await import('./node-server.ts');
