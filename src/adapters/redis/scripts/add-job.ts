import type { LuaScript } from '../run-script.ts';
import { LUA_CHANGED } from './changes.ts';

/**
 * addJobs: insert jobs unless their id exists, and announce the schedule change once. Each job is
 * independent of the others in the call (the store batches concurrent adds: batcher.ts).
 *
 * KEYS[1] jobs, KEYS[2] next, KEYS[3] ver, KEYS[4] paused, KEYS[5] due, KEYS[6] ids, KEYS[7] claimed,
 * KEYS[8] pauseinfo, KEYS[9] changes
 * ARGV[1] change channel, ARGV[2] change message
 * then 7 per job:
 *   id, definition (without the fields kept apart), next "nextRunTime:dueAt" ("" = finished),
 *   dueAt ("" = none), version, paused "1" | "0", pause info JSON ("" = none)
 * Returns per job 1 added, 0 the id exists.
 */
export const addJobScript: LuaScript = {
  name: 'addJobs',
  lua: `${LUA_CHANGED}local out = {}
local added = false
for i = 3, #ARGV, 7 do
  local id, paused, dueAt, info = ARGV[i], ARGV[i + 5], ARGV[i + 3], ARGV[i + 6]
  if redis.call('HSETNX', KEYS[1], id, ARGV[i + 1]) == 0 then
    out[#out + 1] = 0
  else
    redis.call('HSET', KEYS[2], id, ARGV[i + 2])
    redis.call('HSET', KEYS[3], id, ARGV[i + 4])
    if paused == '1' then redis.call('SADD', KEYS[4], id) else redis.call('SREM', KEYS[4], id) end
    if info ~= '' then redis.call('HSET', KEYS[8], id, info) else redis.call('HDEL', KEYS[8], id) end
    redis.call('ZADD', KEYS[6], 0, id)
    redis.call('HDEL', KEYS[7], id)
    if paused == '0' and dueAt ~= '' then
      redis.call('ZADD', KEYS[5], dueAt, id)
    else
      redis.call('ZREM', KEYS[5], id)
    end
    added = true
    out[#out + 1] = 1
  end
end
if added then
  changed(KEYS[9])
  redis.call('PUBLISH', ARGV[1], ARGV[2])
end
return out
`,
};
