/**
 * EVALSHA with a fallback to EVAL when Redis does not know the script yet (first call, a restart,
 * SCRIPT FLUSH). Scripts are plain strings so the code runs on Bun and Deno without reading files.
 */
import type { Redis } from 'ioredis';

export interface LuaScript {
  readonly name: string;
  readonly lua: string;
}

const shas = new WeakMap<LuaScript, Promise<string>>();

function sha1(script: LuaScript): Promise<string> {
  let sha = shas.get(script);
  if (!sha) {
    sha = crypto.subtle
      .digest('SHA-1', new TextEncoder().encode(script.lua))
      .then((digest) => [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join(''));
    shas.set(script, sha);
  }
  return sha;
}

export async function runScript(
  redis: Redis,
  script: LuaScript,
  keys: string[],
  args: (string | number)[],
): Promise<unknown> {
  const sha = await sha1(script);
  try {
    return await redis.evalsha(sha, keys.length, ...keys, ...args);
  } catch (error) {
    if (!(error instanceof Error && error.message.startsWith('NOSCRIPT'))) throw error;
    return await redis.eval(script.lua, keys.length, ...keys, ...args);
  }
}
