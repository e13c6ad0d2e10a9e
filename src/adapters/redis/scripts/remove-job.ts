import type { LuaScript } from '../run-script.ts';
import { LUA_CHANGED } from './changes.ts';
import { LUA_VERSION_OF } from './version.ts';

/**
 * removeJobs: delete every key of jobs and return what they were, each independent of the others
 * in the call (the store batches concurrent removals: batcher.ts). A claim in flight stays in
 * claims so its commit reports `removed` (or its lease expiry drops it); slot entries stay in
 * slots so the executions of a dead holder are still reaped. What the read says is absent (the
 * paused flag, the pause info, a ver entry) is not deleted again.
 *
 * KEYS[1] jobs, KEYS[2] next, KEYS[3] ver, KEYS[4] paused, KEYS[5] due, KEYS[6] ids, KEYS[7] claimed,
 * KEYS[8] pauseinfo, KEYS[9] changes, then KEYS[9 + n] running:<id> of the n-th job
 * ARGV[1] change channel, ARGV[2] change message, then the ids
 * Returns 5 per id: json (nil when there was no such job), next, version from ver (nil when the
 * json carries it), paused 0|1, pause info.
 */
export const removeJobScript: LuaScript = {
  name: 'removeJobs',
  lua: `${LUA_CHANGED}${LUA_VERSION_OF}local out = {}
local removed = false
for n = 3, #ARGV do
  local id = ARGV[n]
  local json = redis.call('HGET', KEYS[1], id)
  local base = #out
  out[base + 1] = json
  out[base + 2] = false
  out[base + 3] = false
  out[base + 4] = 0
  out[base + 5] = false
  if json then
    out[base + 2] = redis.call('HGET', KEYS[2], id)
    out[base + 4] = redis.call('SISMEMBER', KEYS[4], id)
    out[base + 5] = redis.call('HGET', KEYS[8], id)
    redis.call('HDEL', KEYS[1], id)
    redis.call('HDEL', KEYS[2], id)
    if not versionOf(json) then
      out[base + 3] = redis.call('HGET', KEYS[3], id)
      redis.call('HDEL', KEYS[3], id)
    end
    if out[base + 4] == 1 then redis.call('SREM', KEYS[4], id) end
    if out[base + 5] then redis.call('HDEL', KEYS[8], id) end
    redis.call('ZREM', KEYS[5], id)
    redis.call('ZREM', KEYS[6], id)
    redis.call('HDEL', KEYS[7], id)
    redis.call('DEL', KEYS[7 + n])
    removed = true
  end
end
if removed then
  changed(KEYS[9])
  redis.call('PUBLISH', ARGV[1], ARGV[2])
end
return out
`,
};
