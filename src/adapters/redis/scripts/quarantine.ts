import type { LuaScript } from '../run-script.ts';
import { LUA_CHANGED } from './changes.ts';
import { LUA_VERSION_OF } from './version.ts';

/**
 * quarantine: pause claimed jobs that cannot be fired (a poison job), ending their claims. Only a
 * request whose token is still the job's current claim changes anything: the job is paused, its
 * pause info set, its version bumped, its claim dropped and it leaves due. The definition besides
 * its version is not touched (it may be the very thing that cannot be read), and the version is
 * read leniently so a corrupt one cannot make the whole batch fail. A definition stored before
 * versions moved into it keeps its version in ver, bumped there.
 *
 * KEYS[1] claims, KEYS[2] claimed, KEYS[3] jobs, KEYS[4] ver, KEYS[5] paused, KEYS[6] due,
 * KEYS[7] pauseinfo, KEYS[8] claimowner, KEYS[9] changes
 * ARGV[1] change channel, ARGV[2] change message, then 3 per request: id, token, pause info JSON
 * Returns how many jobs were paused.
 */
export const quarantineScript: LuaScript = {
  name: 'quarantine',
  lua: `${LUA_CHANGED}${LUA_VERSION_OF}local function bumped(text)
  local version = tonumber(text or '0') or 0
  if version ~= version or math.abs(version) > 9007199254740991 then version = 0 end
  return string.format('%d', math.floor(version) + 1)
end
local paused = 0
for i = 3, #ARGV, 3 do
  local id, token, info = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  local member = id .. '|' .. token
  local json = redis.call('HGET', KEYS[3], id)
  if json and redis.call('HGET', KEYS[2], id) == token and redis.call('ZSCORE', KEYS[1], member) then
    redis.call('ZREM', KEYS[1], member)
    redis.call('HDEL', KEYS[8], member)
    redis.call('HDEL', KEYS[2], id)
    redis.call('SADD', KEYS[5], id)
    redis.call('ZREM', KEYS[6], id)
    redis.call('HSET', KEYS[7], id, info)
    local version = versionOf(json)
    if version then
      redis.call('HSET', KEYS[3], id, '~v' .. bumped(version) .. string.sub(json, #version + 3))
    else
      redis.call('HSET', KEYS[4], id, bumped(redis.call('HGET', KEYS[4], id)))
    end
    paused = paused + 1
  end
end
if paused > 0 then
  changed(KEYS[9])
  redis.call('PUBLISH', ARGV[1], ARGV[2])
end
return paused
`,
};
