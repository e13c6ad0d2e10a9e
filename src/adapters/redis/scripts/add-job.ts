import type { LuaScript } from '../run-script.ts';

/**
 * addJob: insert a job unless its id exists, and announce the schedule change.
 *
 * KEYS[1] jobs, KEYS[2] next, KEYS[3] ver, KEYS[4] paused, KEYS[5] due, KEYS[6] ids, KEYS[7] claimed,
 * KEYS[8] pauseinfo
 * ARGV[1] id
 * ARGV[2] definition JSON (without the fields kept apart)
 * ARGV[3] next "nextRunTime:dueAt" ("" = finished)
 * ARGV[4] dueAt ("" = none)
 * ARGV[5] version
 * ARGV[6] paused "1" | "0"
 * ARGV[7] change channel, ARGV[8] change message
 * ARGV[9] pause info JSON ("" = none)
 * Returns 1 added, 0 the id exists.
 */
export const addJobScript: LuaScript = {
  name: 'addJob',
  lua: `local id = ARGV[1]
if redis.call('HSETNX', KEYS[1], id, ARGV[2]) == 0 then return 0 end
redis.call('HSET', KEYS[2], id, ARGV[3])
redis.call('HSET', KEYS[3], id, ARGV[5])
if ARGV[6] == '1' then redis.call('SADD', KEYS[4], id) else redis.call('SREM', KEYS[4], id) end
if ARGV[9] ~= '' then redis.call('HSET', KEYS[8], id, ARGV[9]) else redis.call('HDEL', KEYS[8], id) end
redis.call('ZADD', KEYS[6], 0, id)
redis.call('HDEL', KEYS[7], id)
if ARGV[6] == '0' and ARGV[4] ~= '' then
  redis.call('ZADD', KEYS[5], ARGV[4], id)
else
  redis.call('ZREM', KEYS[5], id)
end
redis.call('PUBLISH', ARGV[7], ARGV[8])
return 1
`,
};
