/**
 * Lua scripts as ioredis custom commands (`defineCommand`): ioredis sends EVALSHA and falls back to
 * EVAL when Redis does not know the script (first call, a restart, SCRIPT FLUSH), in pipelines too.
 * Scripts are plain strings so the code runs on Bun and Deno without reading files.
 */
import type { Redis } from 'ioredis';

export interface LuaScript {
  readonly name: string;
  readonly lua: string;
}

type ScriptCommand = (numberOfKeys: number, ...keysAndArgs: (string | number)[]) => Promise<unknown>;

/** Prefixed so a script's name can never shadow one of ioredis's own commands (`commit`, say). */
const commandName = (script: LuaScript): string => `kairos_${script.name}`;

const defined = new WeakMap<Redis, Set<string>>();

export function runScript(
  redis: Redis,
  script: LuaScript,
  keys: string[],
  args: (string | number)[],
): Promise<unknown> {
  const name = commandName(script);
  let names = defined.get(redis);
  if (!names) {
    names = new Set();
    defined.set(redis, names);
  }
  if (!names.has(name)) {
    redis.defineCommand(name, { lua: script.lua });
    names.add(name);
  }
  const command = (redis as unknown as Record<string, ScriptCommand>)[name] as ScriptCommand;
  return command.call(redis, keys.length, ...keys, ...args);
}
