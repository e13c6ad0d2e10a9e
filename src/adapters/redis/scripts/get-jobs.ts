import type { LuaScript } from '../run-script.ts';
import { LUA_VERSION_OF } from './version.ts';

/**
 * getJobs: read jobs with their schedule in one consistent snapshot.
 *
 * KEYS[1] jobs, KEYS[2] next, KEYS[3] ver, KEYS[4] paused, KEYS[5] pauseinfo
 * ARGV    ids
 * Returns 5 entries per id: json (nil when missing), next, version from ver (nil when the json
 * carries it), paused 0|1, pause info.
 */
export const getJobsScript: LuaScript = {
  name: 'getJobs',
  lua: `${LUA_VERSION_OF}local out = {}
for _, id in ipairs(ARGV) do
  local json = redis.call('HGET', KEYS[1], id)
  out[#out + 1] = json
  out[#out + 1] = redis.call('HGET', KEYS[2], id)
  out[#out + 1] = json and not versionOf(json) and redis.call('HGET', KEYS[3], id)
  out[#out + 1] = redis.call('SISMEMBER', KEYS[4], id)
  out[#out + 1] = redis.call('HGET', KEYS[5], id)
end
return out
`,
};
