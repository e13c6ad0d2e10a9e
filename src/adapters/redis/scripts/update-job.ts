import type { LuaScript } from '../run-script.ts';
import { LUA_CHANGED } from './changes.ts';
import { LUA_VERSION_OF } from './version.ts';

/**
 * updateJobs: compare-and-set jobs' definitions on their versions, each independent of the others
 * in the call (the store batches concurrent updates: batcher.ts).
 * 'replace' writes the schedule; when it moves it, the claim in flight stops being current, so its
 * commit is superseded. 'keep' leaves the schedule to the claim/commit cycle. Either way a paused
 * job leaves due, and an unpaused one with a dueAt is due unless a claim holds that fire. The pause
 * info is written as given (a resume passes "", which clears it). A job stored before versions
 * moved into the definition is written in the new layout, and its ver entry goes.
 *
 * KEYS[1] jobs, KEYS[2] next, KEYS[3] ver, KEYS[4] paused, KEYS[5] due, KEYS[6] claimed,
 * KEYS[7] pauseinfo, KEYS[8] changes
 * ARGV[1] change channel, ARGV[2] change message
 * then 8 per job:
 *   id, definition (carrying the new version, without the fields kept apart), expected version,
 *   paused "1" | "0", schedule "keep" | "replace",
 *   next "nextRunTime:dueAt[:runCount]" (see encodeNext; used by replace),
 *   dueAt ("" = none; used by replace), pause info JSON ("" = none)
 * Returns per job 1 updated (or already updated by this very call, resent), 0 version mismatch,
 * -1 no such job.
 */
export const updateJobScript: LuaScript = {
  name: 'updateJobs',
  lua: `${LUA_CHANGED}${LUA_VERSION_OF}local out = {}
local updated = false
for i = 3, #ARGV, 8 do
  local id = ARGV[i]
  local json = redis.call('HGET', KEYS[1], id)
  local version = json and versionOf(json)
  if json and not version then version = redis.call('HGET', KEYS[3], id) end
  if not json then
    out[#out + 1] = -1
  elseif version ~= ARGV[i + 2] then
    -- The very definition it writes (its new version and updatedAt): this call resent by the
    -- client after its reply was lost, and the update is its own.
    if json == ARGV[i + 1] then out[#out + 1] = 1 else out[#out + 1] = 0 end
  else
    redis.call('HSET', KEYS[1], id, ARGV[i + 1])
    if not versionOf(json) then redis.call('HDEL', KEYS[3], id) end
    local paused = ARGV[i + 3] == '1'
    if paused then redis.call('SADD', KEYS[4], id) else redis.call('SREM', KEYS[4], id) end
    if ARGV[i + 7] ~= '' then redis.call('HSET', KEYS[7], id, ARGV[i + 7]) else redis.call('HDEL', KEYS[7], id) end
    local dueAt
    if ARGV[i + 4] == 'replace' then
      if redis.call('HGET', KEYS[2], id) ~= ARGV[i + 5] then
        redis.call('HSET', KEYS[2], id, ARGV[i + 5])
        redis.call('HDEL', KEYS[6], id)
      end
      dueAt = ARGV[i + 6]
    else
      -- The second field of "nextRunTime:dueAt[:runCount]".
      dueAt = string.match(redis.call('HGET', KEYS[2], id) or '', '^[^:]*:([^:]*)') or ''
    end
    if paused or dueAt == '' then
      redis.call('ZREM', KEYS[5], id)
    elseif redis.call('HEXISTS', KEYS[6], id) == 0 then
      redis.call('ZADD', KEYS[5], dueAt, id)
    end
    updated = true
    out[#out + 1] = 1
  end
end
if updated then
  changed(KEYS[8])
  redis.call('PUBLISH', ARGV[1], ARGV[2])
end
return out
`,
};
