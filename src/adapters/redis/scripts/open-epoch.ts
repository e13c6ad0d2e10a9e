import type { LuaScript } from '../run-script.ts';

/**
 * openEpoch: the store's epoch marker, created when missing (a new store, or one flushed or restarted
 * empty; a store written before markers existed adopts one too).
 *
 * KEYS[1] epoch    the marker
 * ARGV[1] candidate  the id to write when there is none
 * Returns the marker.
 */
export const openEpochScript: LuaScript = {
  name: 'openEpoch',
  lua: `local epoch = redis.call('GET', KEYS[1])
if epoch then return epoch end
redis.call('SET', KEYS[1], ARGV[1])
return ARGV[1]
`,
};
