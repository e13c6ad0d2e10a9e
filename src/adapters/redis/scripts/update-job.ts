import type { LuaScript } from '../run-script.ts';

/**
 * updateJob: compare-and-set a job's definition on its version.
 * 'replace' writes the schedule; when it moves it, the claim in flight stops being current, so its
 * commit is superseded. 'keep' leaves the schedule to the claim/commit cycle. Either way a paused
 * job leaves due, and an unpaused one with a dueAt is due unless a claim holds that fire. The pause
 * info is written as given (a resume passes "", which clears it).
 *
 * KEYS[1] jobs, KEYS[2] next, KEYS[3] ver, KEYS[4] paused, KEYS[5] due, KEYS[6] claimed,
 * KEYS[7] pauseinfo
 * ARGV[1] id
 * ARGV[2] definition JSON (without the fields kept apart)
 * ARGV[3] expected version
 * ARGV[4] new version
 * ARGV[5] paused "1" | "0"
 * ARGV[6] schedule "keep" | "replace"
 * ARGV[7] next "nextRunTime:dueAt[:runCount]" (see encodeNext; used by replace)
 * ARGV[8] dueAt ("" = none; used by replace)
 * ARGV[9] change channel, ARGV[10] change message
 * ARGV[11] pause info JSON ("" = none)
 * Returns 1 updated, 0 version mismatch, -1 no such job.
 */
export const updateJobScript: LuaScript = {
  name: 'updateJob',
  lua: `local id = ARGV[1]
local version = redis.call('HGET', KEYS[3], id)
if not version then return -1 end
if version ~= ARGV[3] then return 0 end
redis.call('HSET', KEYS[1], id, ARGV[2])
redis.call('HSET', KEYS[3], id, ARGV[4])
local paused = ARGV[5] == '1'
if paused then redis.call('SADD', KEYS[4], id) else redis.call('SREM', KEYS[4], id) end
if ARGV[11] ~= '' then redis.call('HSET', KEYS[7], id, ARGV[11]) else redis.call('HDEL', KEYS[7], id) end
local dueAt
if ARGV[6] == 'replace' then
  if redis.call('HGET', KEYS[2], id) ~= ARGV[7] then
    redis.call('HSET', KEYS[2], id, ARGV[7])
    redis.call('HDEL', KEYS[6], id)
  end
  dueAt = ARGV[8]
else
  -- The second field of "nextRunTime:dueAt[:runCount]".
  dueAt = string.match(redis.call('HGET', KEYS[2], id) or '', '^[^:]*:([^:]*)') or ''
end
if paused or dueAt == '' then
  redis.call('ZREM', KEYS[5], id)
elseif redis.call('HEXISTS', KEYS[6], id) == 0 then
  redis.call('ZADD', KEYS[5], dueAt, id)
end
redis.call('PUBLISH', ARGV[9], ARGV[10])
return 1
`,
};
