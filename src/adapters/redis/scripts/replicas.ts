import type { LuaScript } from '../run-script.ts';
import { LUA_NOW } from './now.ts';

/**
 * Replica lives (ports.ts, ReplicaLife): a heartbeat per life, and what each life holds, so the
 * cluster releases it the moment the heartbeat runs out instead of waiting for every lease.
 *
 * lives       zset life id -> heartbeat expiry (ms, Redis clock)
 * lifeinfo    hash life id -> JSON {id, instance, startedAt}
 * claimowner  hash claim member "id|token" -> life id
 * slotowner   hash slot member -> life id
 */

/** Lua: `live(lives, id, now)`, whether the life's heartbeat has not run out. */
export const LUA_LIVE = `local function live(lives, id, now)
  local expiry = redis.call('ZSCORE', lives, id)
  return expiry ~= false and tonumber(expiry) > now
end
`;

/**
 * heartbeat: keep a life live for ttl more. ARGV[3] '1' registers it; otherwise a life that was
 * reaped is not revived: the caller learns it was declared dead. A life that ran out but was not
 * reaped yet (Redis itself was away, or no other replica looked) is revived: nobody took over
 * anything of it, since only reaping releases what a life holds.
 *
 * KEYS[1] lives, KEYS[2] lifeinfo
 * ARGV[1] life id, ARGV[2] ttlMs, ARGV[3] first ('1' / '0'), ARGV[4] info JSON
 * Returns 1 live, 0 declared dead.
 */
export const heartbeatScript: LuaScript = {
  name: 'heartbeat',
  lua: `${LUA_NOW}
if ARGV[3] ~= '1' and not redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[4])
return 1
`,
};

/**
 * reapReplicas: remove up to `limit` lives whose heartbeat ran out. Their claims expire at once
 * (the next claimDue takes the fires back); their slots are released and returned, so the caller
 * settles the runs that held them.
 *
 * KEYS[1] lives, KEYS[2] lifeinfo, KEYS[3] claims, KEYS[4] claimowner, KEYS[5] slots, KEYS[6] slotowner
 * ARGV[1] limit, ARGV[2] prefix of running:<jobId> keys
 * Returns {info JSON, heartbeat expiry, claims released, slot count, slot members..., info JSON, ...}.
 */
export const reapReplicasScript: LuaScript = {
  name: 'reapReplicas',
  lua: `${LUA_NOW}
local dead = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[1]))
if #dead == 0 then return {} end
local gone = {}
local out = {}
local claims, slots = {}, {}
for _, id in ipairs(dead) do
  gone[id] = true
  claims[id] = 0
  slots[id] = {}
end
-- Scans cost what is in flight cluster-wide (claims, running slots), and only when a life ended.
local owners = redis.call('HGETALL', KEYS[4])
for i = 1, #owners, 2 do
  local member, owner = owners[i], owners[i + 1]
  if gone[owner] then
    redis.call('HDEL', KEYS[4], member)
    if redis.call('ZSCORE', KEYS[3], member) then
      redis.call('ZADD', KEYS[3], now, member)
      claims[owner] = claims[owner] + 1
    end
  end
end
owners = redis.call('HGETALL', KEYS[6])
for i = 1, #owners, 2 do
  local member, owner = owners[i], owners[i + 1]
  if gone[owner] then
    redis.call('HDEL', KEYS[6], member)
    if redis.call('ZREM', KEYS[5], member) == 1 then
      local slot = cjson.decode(member)
      redis.call('ZREM', ARGV[2] .. slot[1], slot[2])
      local list = slots[owner]
      list[#list + 1] = member
    end
  end
end
for _, id in ipairs(dead) do
  out[#out + 1] = redis.call('HGET', KEYS[2], id) or cjson.encode({ id = id })
  out[#out + 1] = redis.call('ZSCORE', KEYS[1], id)
  out[#out + 1] = claims[id]
  out[#out + 1] = #slots[id]
  for _, member in ipairs(slots[id]) do out[#out + 1] = member end
  redis.call('ZREM', KEYS[1], id)
  redis.call('HDEL', KEYS[2], id)
end
return out
`,
};

/**
 * liveReplicas: the lives whose heartbeat has not run out, oldest registration first.
 *
 * KEYS[1] lives, KEYS[2] lifeinfo
 * Returns {info JSON, expiry, ...}.
 */
export const liveReplicasScript: LuaScript = {
  name: 'liveReplicas',
  lua: `${LUA_NOW}
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. now, '+inf', 'WITHSCORES')
local out = {}
for i = 1, #ids, 2 do
  out[#out + 1] = redis.call('HGET', KEYS[2], ids[i]) or cjson.encode({ id = ids[i] })
  out[#out + 1] = ids[i + 1]
end
return out
`,
};
