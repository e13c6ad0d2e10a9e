/**
 * Which runtime runs us. `process.version` cannot tell (Bun and Deno report a Node version), so
 * this looks for the runtimes' own globals. The one place that asks.
 */
interface RuntimeGlobals {
  Bun?: { version: string };
  Deno?: { version: { deno: string } };
  process?: { versions?: { node?: string } };
}

/** e.g. "node 20.20.2", "bun 1.4.5", "deno 2.9.6". */
export function runtimeVersion(): string {
  const g = globalThis as RuntimeGlobals;
  if (g.Bun) return `bun ${g.Bun.version}`;
  if (g.Deno) return `deno ${g.Deno.version.deno}`;
  return `node ${g.process?.versions?.node ?? 'unknown'}`;
}
