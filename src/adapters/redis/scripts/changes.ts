import type { LuaScript } from '../run-script.ts';

/**
 * The change count (JobStore.changeCount): `{prefix}:changes`, moved once by every script call
 * that changes what get/list/count return. A missing key (a new store, or a Redis that came back
 * empty) starts at the Redis clock in microseconds, not at 1: a count that starts over after a
 * reset must not meet a value it had before with other data behind it (scripts move it far
 * less than once a microsecond).
 */

/** Lua: `start(key)`, set the key to the clock in µs and return that. */
const LUA_START = `local function start(key)
  local time = redis.call('TIME')
  local n = string.format('%d', tonumber(time[1]) * 1000000 + tonumber(time[2]))
  redis.call('SET', key, n)
  return n
end
`;

/** Lua: `changed(key)`, move the count on. */
export const LUA_CHANGED = `${LUA_START}local function changed(key)
  if redis.call('INCR', key) == 1 then start(key) end
end
`;

/**
 * changeCount: the count, started when missing (see above).
 *
 * KEYS[1] changes
 * Returns the count as a string.
 */
export const changeCountScript: LuaScript = {
  name: 'changeCount',
  lua: `${LUA_START}return redis.call('GET', KEYS[1]) or start(KEYS[1])
`,
};
