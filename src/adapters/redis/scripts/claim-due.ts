import type { LuaScript } from '../run-script.ts';
import { LUA_NOW } from './now.ts';
import { LUA_LIVE } from './replicas.ts';
import { LUA_VERSION_OF } from './version.ts';

/**
 * claimDue: take back expired claims, then take due jobs, each under a new fencing token.
 * Cost is O((M + E) log N) for M claimed and E expired: independent of how many jobs are stored.
 *
 * KEYS[1] due      zset id -> dueAt
 * KEYS[2] claims   zset "id|token" -> lease expiry
 * KEYS[3] claimed  hash id -> token of the job's current claim
 * KEYS[4] fence    counter for tokens
 * KEYS[5] jobs     hash id -> definition JSON
 * KEYS[6] next     hash id -> "nextRunTime:dueAt"
 * KEYS[7] ver      hash id -> version of a definition stored before it carried its own
 * KEYS[8] paused   set of paused ids
 * KEYS[9] pauseinfo  hash id -> pause info JSON
 * KEYS[10] epoch   the store's epoch marker
 * KEYS[11] claimowner  hash claim member -> replica life holding it
 * KEYS[12] lives   zset replica life -> heartbeat expiry
 * ARGV[1] limit    max claims returned
 * ARGV[2] leaseMs  lease of each new claim
 * ARGV[3] lookaheadMs  also take jobs due up to now + lookaheadMs
 * ARGV[4] epoch    the epoch expected: an error reply EPOCH when the marker differs or is gone
 * ARGV[5] owner    the claiming replica life ('' = none): an error reply FENCED when it is not live
 * Returns {now, remaining, id, token, json, next, version (nil when the json carries it), pause
 * info, id, token, ...}: 6 per claim; remaining = jobs still due by now + lookaheadMs after it.
 * Tokens are "<epoch>:<n>", so a counter restarted by a reset never hands out a token again.
 */
export const claimDueScript: LuaScript = {
  name: 'claimDue',
  lua: `if redis.call('GET', KEYS[10]) ~= ARGV[4] then return redis.error_reply('EPOCH store reset') end
${LUA_NOW}
${LUA_LIVE}
${LUA_VERSION_OF}
local owner = ARGV[5] or ''
if owner ~= '' and not live(KEYS[12], owner, now) then return redis.error_reply('FENCED replica life ended') end
local limit = tonumber(ARGV[1])
local expiry = now + tonumber(ARGV[2])
local horizon = now + tonumber(ARGV[3] or '0')
local ids = {}
if limit > 0 then
  -- An expired claim is the job's current one only if nothing replaced it; otherwise just drop it.
  local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, limit)
  for _, member in ipairs(expired) do
    redis.call('ZREM', KEYS[2], member)
    redis.call('HDEL', KEYS[11], member)
    local id, token = string.match(member, '^(.*)|([^|]*)$')
    if redis.call('HGET', KEYS[3], id) == token then
      if redis.call('SISMEMBER', KEYS[8], id) == 0 and redis.call('HEXISTS', KEYS[5], id) == 1 then
        ids[#ids + 1] = id
      else
        -- Paused meanwhile: resuming puts the stored fire back in due.
        redis.call('HDEL', KEYS[3], id)
      end
    end
  end
  if #ids < limit then
    local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', horizon, 'LIMIT', 0, limit - #ids)
    for _, id in ipairs(due) do
      redis.call('ZREM', KEYS[1], id)
      if redis.call('HEXISTS', KEYS[5], id) == 1 then ids[#ids + 1] = id end
    end
  end
end
local out = { now, redis.call('ZCOUNT', KEYS[1], '-inf', horizon) }
if #ids == 0 then return out end
local last = redis.call('INCRBY', KEYS[4], #ids)
for i, id in ipairs(ids) do
  local token = ARGV[4] .. ':' .. string.format('%d', last - #ids + i)
  redis.call('ZADD', KEYS[2], expiry, id .. '|' .. token)
  if owner ~= '' then redis.call('HSET', KEYS[11], id .. '|' .. token, owner) end
  redis.call('HSET', KEYS[3], id, token)
  out[#out + 1] = id
  out[#out + 1] = token
  local json = redis.call('HGET', KEYS[5], id)
  out[#out + 1] = json
  out[#out + 1] = redis.call('HGET', KEYS[6], id)
  out[#out + 1] = not versionOf(json) and redis.call('HGET', KEYS[7], id)
  out[#out + 1] = redis.call('HGET', KEYS[9], id)
end
return out
`,
};
