import type { LuaScript } from '../run-script.ts';
import { LUA_VERSION_OF } from './version.ts';

/**
 * listJobs: one page of ids in id order and their jobs, in one round trip and one consistent
 * snapshot. HMGET/SMISMEMBER per key rather than five calls per id: a page of 100 is 4 calls,
 * not 500 (SMISMEMBER needs Redis 6.2); ver is asked only for a chunk holding a definition stored
 * before versions moved into it. Ids go to HMGET in chunks: Lua's unpack has a stack limit.
 *
 * KEYS[1] ids, KEYS[2] jobs, KEYS[3] next, KEYS[4] ver, KEYS[5] paused, KEYS[6] pauseinfo
 * ARGV[1] ZRANGEBYLEX start ('-' or '(<id>'), ARGV[2] how many ids
 * Returns {ids, jsons, nexts, versions, paused 0|1, pause infos}: six lists of the same length
 * (a json is nil when the job is gone, a version when the json carries it, a pause info when
 * there is none).
 */
export const listJobsScript: LuaScript = {
  name: 'listJobs',
  lua: `${LUA_VERSION_OF}local ids = redis.call('ZRANGEBYLEX', KEYS[1], ARGV[1], '+', 'LIMIT', 0, tonumber(ARGV[2]))
local jsons, nexts, versions, paused, infos = {}, {}, {}, {}, {}
local function append(target, values)
  for i = 1, #values do target[#target + 1] = values[i] end
end
for first = 1, #ids, 1000 do
  local chunk = { unpack(ids, first, math.min(first + 999, #ids)) }
  local chunkJsons = redis.call('HMGET', KEYS[2], unpack(chunk))
  append(jsons, chunkJsons)
  append(nexts, redis.call('HMGET', KEYS[3], unpack(chunk)))
  local unversioned = false
  for i = 1, #chunkJsons do
    if chunkJsons[i] and not versionOf(chunkJsons[i]) then unversioned = true end
  end
  if unversioned then
    append(versions, redis.call('HMGET', KEYS[4], unpack(chunk)))
  else
    for i = 1, #chunk do versions[#versions + 1] = false end
  end
  append(paused, redis.call('SMISMEMBER', KEYS[5], unpack(chunk)))
  append(infos, redis.call('HMGET', KEYS[6], unpack(chunk)))
end
return { ids, jsons, nexts, versions, paused, infos }
`,
};
