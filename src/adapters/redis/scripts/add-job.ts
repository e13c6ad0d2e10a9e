import type { LuaScript } from '../run-script.ts';
import { LUA_CHANGED } from './changes.ts';

/**
 * addJobs: insert jobs unless their id exists, and announce the schedule change once. Each job is
 * independent of the others in the call (the store batches concurrent adds: batcher.ts).
 *
 * KEYS[1] jobs, KEYS[2] next, KEYS[3] paused, KEYS[4] due, KEYS[5] ids, KEYS[6] claimed,
 * KEYS[7] pauseinfo, KEYS[8] changes
 * ARGV[1] change channel, ARGV[2] change message
 * then 6 per job:
 *   id, definition (carrying its version, without the fields kept apart),
 *   next "nextRunTime:dueAt" ("" = finished), dueAt ("" = none), paused "1" | "0",
 *   pause info JSON ("" = none)
 * Returns per job 1 added (or already added by this very call, resent), 0 the id exists.
 */
export const addJobScript: LuaScript = {
  name: 'addJobs',
  lua: `${LUA_CHANGED}local out = {}
local added = false
for i = 3, #ARGV, 6 do
  local id, dueAt, paused, info = ARGV[i], ARGV[i + 3], ARGV[i + 4], ARGV[i + 5]
  if redis.call('HSETNX', KEYS[1], id, ARGV[i + 1]) == 0 then
    -- The very definition, createdAt included: this call resent by the client after its reply was
    -- lost (a reconnect), and the job is the one it added.
    if redis.call('HGET', KEYS[1], id) == ARGV[i + 1] then out[#out + 1] = 1 else out[#out + 1] = 0 end
  else
    redis.call('HSET', KEYS[2], id, ARGV[i + 2])
    if paused == '1' then redis.call('SADD', KEYS[3], id) else redis.call('SREM', KEYS[3], id) end
    if info ~= '' then redis.call('HSET', KEYS[7], id, info) else redis.call('HDEL', KEYS[7], id) end
    redis.call('ZADD', KEYS[5], 0, id)
    redis.call('HDEL', KEYS[6], id)
    if paused == '0' and dueAt ~= '' then
      redis.call('ZADD', KEYS[4], dueAt, id)
    else
      redis.call('ZREM', KEYS[4], id)
    end
    added = true
    out[#out + 1] = 1
  end
end
if added then
  changed(KEYS[8])
  redis.call('PUBLISH', ARGV[1], ARGV[2])
end
return out
`,
};
