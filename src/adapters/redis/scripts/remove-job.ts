import type { LuaScript } from '../run-script.ts';
import { LUA_CHANGED } from './changes.ts';
import { LUA_VERSION_OF } from './version.ts';

/**
 * removeJobs: delete every key of jobs and return what they were, each independent of the others
 * in the call (the store batches concurrent removals: batcher.ts). A claim in flight stays in
 * claims so its commit reports `removed` (or its lease expiry drops it); slot entries stay in
 * slots so the executions of a dead holder are still reaped.
 * Each key is read and cleared with one command for all the jobs of the call, not one per job: a
 * command from Lua costs ~0.5 µs of Redis whatever it does, and 14 a job made removals cost Redis
 * ~7 µs each. An id asked twice in one call is removed by the first.
 *
 * A call resent by the client after its reply was lost (a reconnect) must not answer "no such
 * job" for the jobs it removed itself: the reply of a call that removed any is kept under the
 * call's own receipt key for a while, and a call finding its receipt answers that.
 *
 * KEYS[1] jobs, KEYS[2] next, KEYS[3] ver, KEYS[4] paused, KEYS[5] due, KEYS[6] ids, KEYS[7] claimed,
 * KEYS[8] pauseinfo, KEYS[9] changes, KEYS[10] receipt:<token of this call>, then KEYS[10 + n]
 * running:<id> of the n-th id
 * ARGV[1] change channel, ARGV[2] change message, ARGV[3] how long the receipt is kept (ms), then
 * the ids
 * Returns 5 per id: json (nil when there was no such job), next, version from ver (nil when the
 * json carries it), paused 0|1, pause info.
 */
export const removeJobScript: LuaScript = {
  name: 'removeJobs',
  lua: `${LUA_CHANGED}${LUA_VERSION_OF}local receipt = redis.call('GET', KEYS[10])
if receipt then return cmsgpack.unpack(receipt) end
local asked = {}
for n = 4, #ARGV do asked[#asked + 1] = ARGV[n] end
local jsons = redis.call('HMGET', KEYS[1], unpack(asked))
local ids, at, runnings, seen = {}, {}, {}, {}
for i, id in ipairs(asked) do
  if jsons[i] and not seen[id] then
    seen[id] = true
    ids[#ids + 1] = id
    at[#ids] = i
    runnings[#runnings + 1] = KEYS[10 + i]
  end
end
local out = {}
for i = 1, #asked do
  out[5 * i - 4], out[5 * i - 3], out[5 * i - 2], out[5 * i - 1], out[5 * i] = false, false, false, 0, false
end
if #ids == 0 then return out end
local nexts = redis.call('HMGET', KEYS[2], unpack(ids))
local paused = redis.call('SMISMEMBER', KEYS[4], unpack(ids))
local infos = redis.call('HMGET', KEYS[8], unpack(ids))
local old, wasPaused, hadInfo = {}, {}, {}
for j, id in ipairs(ids) do
  local json = jsons[at[j]]
  local base = 5 * at[j] - 5
  out[base + 1], out[base + 2], out[base + 4], out[base + 5] = json, nexts[j], paused[j], infos[j]
  if not versionOf(json) then old[#old + 1] = j end
  if paused[j] == 1 then wasPaused[#wasPaused + 1] = id end
  if infos[j] then hadInfo[#hadInfo + 1] = id end
end
if #old > 0 then
  local oldIds = {}
  for k, j in ipairs(old) do oldIds[k] = ids[j] end
  local versions = redis.call('HMGET', KEYS[3], unpack(oldIds))
  for k, j in ipairs(old) do out[5 * at[j] - 2] = versions[k] end
end
-- Every id: a replica from before the version moved in bumps ver on quarantine, whatever the layout.
redis.call('HDEL', KEYS[3], unpack(ids))
if #wasPaused > 0 then redis.call('SREM', KEYS[4], unpack(wasPaused)) end
if #hadInfo > 0 then redis.call('HDEL', KEYS[8], unpack(hadInfo)) end
redis.call('HDEL', KEYS[1], unpack(ids))
redis.call('HDEL', KEYS[2], unpack(ids))
redis.call('ZREM', KEYS[5], unpack(ids))
redis.call('ZREM', KEYS[6], unpack(ids))
redis.call('HDEL', KEYS[7], unpack(ids))
redis.call('DEL', unpack(runnings))
changed(KEYS[9])
redis.call('PUBLISH', ARGV[1], ARGV[2])
redis.call('SET', KEYS[10], cmsgpack.pack(out), 'PX', ARGV[3])
return out
`,
};
