import type { LuaScript } from '../run-script.ts';

/**
 * removeJob: delete every key of a job and return what it was. A claim in flight stays in claims
 * so its commit reports `removed` (or its lease expiry drops it); slot entries stay in slots so
 * the executions of a dead holder are still reaped.
 *
 * KEYS[1] jobs, KEYS[2] next, KEYS[3] ver, KEYS[4] paused, KEYS[5] due, KEYS[6] ids, KEYS[7] claimed,
 * KEYS[8] running:<id>, KEYS[9] pauseinfo
 * ARGV[1] id, ARGV[2] change channel, ARGV[3] change message
 * Returns {json, next, version, paused 0|1, pause info}, or nil when there was no such job.
 */
export const removeJobScript: LuaScript = {
  name: 'removeJob',
  lua: `local id = ARGV[1]
local json = redis.call('HGET', KEYS[1], id)
if not json then return false end
local out = {
  json,
  redis.call('HGET', KEYS[2], id),
  redis.call('HGET', KEYS[3], id),
  redis.call('SISMEMBER', KEYS[4], id),
  redis.call('HGET', KEYS[9], id),
}
redis.call('HDEL', KEYS[1], id)
redis.call('HDEL', KEYS[2], id)
redis.call('HDEL', KEYS[3], id)
redis.call('SREM', KEYS[4], id)
redis.call('ZREM', KEYS[5], id)
redis.call('ZREM', KEYS[6], id)
redis.call('HDEL', KEYS[7], id)
redis.call('DEL', KEYS[8])
redis.call('HDEL', KEYS[9], id)
redis.call('PUBLISH', ARGV[2], ARGV[3])
return out
`,
};
