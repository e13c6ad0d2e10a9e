import type { LuaScript } from '../run-script.ts';
import { LUA_NOW } from './now.ts';
import { LUA_LIVE } from './replicas.ts';

/**
 * acquireQueuedSlots: acquireSlots with a wait queue per job (overlap policies, ports.ts
 * QueuedSlotRequest). A slot that frees goes to the first in line (lowest order), never to a
 * newcomer that overtakes the queue. A queued place is leased like a slot (waitlease) and also
 * entered in `slots`, so heldSlots and the reapers account for its row as they do for a held one.
 * With cancelOldest, one holder per waiter is marked (`<cancel prefix><execution>`, expiring
 * after ARGV[4] ms), oldest first: execution ids are UUIDv7, so they sort by decision time.
 *
 * KEYS[1] slots, KEYS[2] slotowner, KEYS[3] lives, then 3 per request: running:<job>,
 *   waiting:<job> (zset execution -> order), waitlease:<job> (zset execution -> expiry)
 * ARGV[1] leaseMs, ARGV[2] owner ('' = none), ARGV[3] cancel key prefix, ARGV[4] mark ttl ms,
 *   then 6 per request: execution, slot member, maxInstances, order, limit, cancelOldest ('1'/'0')
 * Returns {outcomes, marked executions}.
 */
export const acquireQueuedSlotsScript: LuaScript = {
  name: 'acquireQueuedSlots',
  lua: `${LUA_NOW}
${LUA_LIVE}
local owner = ARGV[2]
if owner ~= '' and not live(KEYS[3], owner, now) then return redis.error_reply('FENCED replica life ended') end
local expiry = now + tonumber(ARGV[1])
local prefix = ARGV[3]
local out, marked = {}, {}
for r = 0, (#KEYS - 3) / 3 - 1 do
  local running, waiting, waitlease = KEYS[4 + 3 * r], KEYS[5 + 3 * r], KEYS[6 + 3 * r]
  local a = 5 + 6 * r
  local execution, member, max = ARGV[a], ARGV[a + 1], tonumber(ARGV[a + 2])
  local order, limit, cancel = tonumber(ARGV[a + 3]), tonumber(ARGV[a + 4]), ARGV[a + 5] == '1'
  redis.call('ZREMRANGEBYSCORE', running, '-inf', now)
  for _, gone in ipairs(redis.call('ZRANGEBYSCORE', waitlease, '-inf', now)) do
    redis.call('ZREM', waiting, gone)
    redis.call('ZREM', waitlease, gone)
  end
  local head = redis.call('ZRANGE', waiting, 0, 0)[1]
  local outcome = 'full'
  if redis.call('ZSCORE', running, execution) or
      (redis.call('ZCARD', running) < max and (head == nil or head == execution)) then
    redis.call('ZADD', running, expiry, execution)
    redis.call('ZREM', waiting, execution)
    redis.call('ZREM', waitlease, execution)
    outcome = 'acquired'
  elseif redis.call('ZSCORE', waiting, execution) or redis.call('ZCARD', waiting) < limit then
    redis.call('ZADD', waiting, order, execution)
    redis.call('ZADD', waitlease, expiry, execution)
    outcome = 'queued'
  end
  if outcome ~= 'full' then
    redis.call('ZADD', KEYS[1], expiry, member)
    if owner ~= '' then redis.call('HSET', KEYS[2], member, owner) end
  end
  out[#out + 1] = outcome
  if outcome == 'queued' and cancel then
    local holders = redis.call('ZRANGE', running, 0, -1)
    table.sort(holders)
    local need = math.min(redis.call('ZCARD', waiting), #holders)
    local have = 0
    for _, holder in ipairs(holders) do have = have + redis.call('EXISTS', prefix .. holder) end
    for _, holder in ipairs(holders) do
      if have >= need then break end
      if redis.call('SET', prefix .. holder, '1', 'NX', 'PX', tonumber(ARGV[4])) then
        marked[#marked + 1] = holder
        have = have + 1
      end
    end
  end
end
return {out, marked}
`,
};
