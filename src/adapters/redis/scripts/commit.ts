import type { LuaScript } from '../run-script.ts';
import { LUA_CHANGED } from './changes.ts';
import { LUA_NOW } from './now.ts';
import { LUA_LIVE } from './replicas.ts';

/**
 * commit: finish a batch of claims, one outcome per request, in order.
 * - stale: the claim is gone (taken back after its lease, or never existed)
 * - removed: the job was removed meanwhile
 * - superseded: the claim no longer holds the job's current fire (a schedule change replaced it)
 * - committed: next is set to the new value and, unless paused or finished, the job is due again
 *
 * KEYS[1] claims   zset "id|token" -> lease expiry
 * KEYS[2] claimed  hash id -> token of the job's current claim
 * KEYS[3] jobs     hash id -> definition JSON
 * KEYS[4] next     hash id -> "nextRunTime:dueAt"
 * KEYS[5] due      zset id -> dueAt
 * KEYS[6] paused   set of paused ids
 * KEYS[7] epoch    the store's epoch marker
 * KEYS[8] claimowner  hash claim member -> replica life
 * KEYS[9] lives    zset replica life -> heartbeat expiry
 * KEYS[10] changes the change count, moved when a request commits
 * ARGV[1] epoch    the epoch expected: an error reply EPOCH when the marker differs or is gone
 * ARGV[2] owner    the committing life ('' = none): when it is not live every outcome is stale
 * ARGV    then 4 per request: id, token, new next ("" = finished), new dueAt ("" = none)
 * Returns {outcome, ...}.
 */
export const commitScript: LuaScript = {
  name: 'commit',
  lua: `if redis.call('GET', KEYS[7]) ~= ARGV[1] then return redis.error_reply('EPOCH store reset') end
${LUA_NOW}
${LUA_LIVE}
${LUA_CHANGED}
local out = {}
local committed = false
local fenced = ARGV[2] ~= '' and not live(KEYS[9], ARGV[2], now)
for i = 3, #ARGV, 4 do
  local id, token, nxt, dueAt = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  -- A life declared dead had its claims released: they may be another replica's fires by now.
  if fenced then
    out[#out + 1] = 'stale'
  elseif redis.call('ZREM', KEYS[1], id .. '|' .. token) == 0 then
    out[#out + 1] = 'stale'
  else
    redis.call('HDEL', KEYS[8], id .. '|' .. token)
    if redis.call('HEXISTS', KEYS[3], id) == 0 then
      out[#out + 1] = 'removed'
    elseif redis.call('HGET', KEYS[2], id) ~= token then
      out[#out + 1] = 'superseded'
    else
      redis.call('HDEL', KEYS[2], id)
      redis.call('HSET', KEYS[4], id, nxt)
      if dueAt ~= '' and redis.call('SISMEMBER', KEYS[6], id) == 0 then
        redis.call('ZADD', KEYS[5], dueAt, id)
      end
      out[#out + 1] = 'committed'
      committed = true
    end
  end
end
if committed then changed(KEYS[10]) end
return out
`,
};
