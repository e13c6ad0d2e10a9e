import type { LuaScript } from '../run-script.ts';
import { LUA_NOW } from './now.ts';
import { LUA_LIVE } from './replicas.ts';

/**
 * acquireSlots: take one of each job's maxInstances slots, decided in order. Expired entries stop
 * counting (they are dropped from running:<job> but stay in slots until reaped, so their executions
 * get abandoned). Re-acquiring a slot already held renews it. With an owner, the slots are held by
 * that replica life, and nothing is taken when it is no longer live (error reply FENCED).
 *
 * KEYS[1] slots, KEYS[2] slotowner, KEYS[3] lives, KEYS[4..n+3] running:<jobId> of each request
 * ARGV[1] leaseMs, ARGV[2] owner ('' = none), then 3 per request: executionId, slot member, maxInstances
 * Returns one 1/0 per request.
 */
export const acquireSlotsScript: LuaScript = {
  name: 'acquireSlots',
  lua: `${LUA_NOW}
${LUA_LIVE}
local owner = ARGV[2]
if owner ~= '' and not live(KEYS[3], owner, now) then return redis.error_reply('FENCED replica life ended') end
local expiry = now + tonumber(ARGV[1])
local out = {}
for i = 4, #KEYS do
  local at = 3 * (i - 4) + 3
  local running, execution, member, max = KEYS[i], ARGV[at], ARGV[at + 1], tonumber(ARGV[at + 2])
  redis.call('ZREMRANGEBYSCORE', running, '-inf', now)
  if not redis.call('ZSCORE', running, execution) and redis.call('ZCARD', running) >= max then
    out[#out + 1] = 0
  else
    redis.call('ZADD', running, expiry, execution)
    redis.call('ZADD', KEYS[1], expiry, member)
    if owner ~= '' then redis.call('HSET', KEYS[2], member, owner) end
    out[#out + 1] = 1
  end
end
return out
`,
};

/**
 * renewSlots: extend the leases of held slots (XX: a released or reaped slot is not revived), and
 * report those a cancel_other fire marked for cancellation (see acquireQueuedSlots).
 *
 * KEYS[1] slots, KEYS[2..n+1] running:<jobId> of each slot
 * ARGV[1] leaseMs, ARGV[2] cancel key prefix, then 2 per slot: executionId, slot member
 * Returns the 1-based positions of the marked slots.
 */
export const renewSlotsScript: LuaScript = {
  name: 'renewSlots',
  lua: `${LUA_NOW}
local expiry = now + tonumber(ARGV[1])
local marked = {}
for i = 2, #KEYS do
  local execution = ARGV[2 * i - 1]
  redis.call('ZADD', KEYS[i], 'XX', expiry, execution)
  redis.call('ZADD', KEYS[1], 'XX', expiry, ARGV[2 * i])
  if redis.call('EXISTS', ARGV[2] .. execution) == 1 then marked[#marked + 1] = i - 1 end
end
return marked
`,
};

/**
 * reapSlots: remove and return up to `limit` slots whose lease expired. Atomic, so two reapers
 * never both report the same slot; the caller then clears their running:<job> entries.
 *
 * KEYS[1] slots, KEYS[2] slotowner
 * ARGV[1] limit
 * Returns the slot members.
 */
export const reapSlotsScript: LuaScript = {
  name: 'reapSlots',
  lua: `${LUA_NOW}
local members = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[1]))
for _, member in ipairs(members) do
  redis.call('ZREM', KEYS[1], member)
  redis.call('HDEL', KEYS[2], member)
end
return members
`,
};

/**
 * heldSlots: for each slot, whether it is held under an unexpired lease (its entry in slots, which
 * stays until released or reaped, even when the job was removed meanwhile).
 *
 * KEYS[1] slots
 * ARGV    slot members
 * Returns one 1/0 per member.
 */
export const heldSlotsScript: LuaScript = {
  name: 'heldSlots',
  lua: `${LUA_NOW}
local out = {}
for i = 1, #ARGV do
  local expiry = redis.call('ZSCORE', KEYS[1], ARGV[i])
  if expiry and tonumber(expiry) > now then out[i] = 1 else out[i] = 0 end
end
return out
`,
};

/**
 * releaseSlots: give slots back in one call: the running entry, a place in the job's wait queue
 * (overlap policies), a cancel mark, and the slot's entries in slots and slotowner.
 *
 * KEYS[1] slots, KEYS[2] slotowner, then 4 per slot: running:<jobId>, waiting:<jobId>,
 *   waitlease:<jobId>, cancel:<executionId>
 * ARGV    2 per slot: executionId, slot member
 */
export const releaseSlotsScript: LuaScript = {
  name: 'releaseSlots',
  lua: `for i = 0, #ARGV / 2 - 1 do
  local execution, member, at = ARGV[2 * i + 1], ARGV[2 * i + 2], 3 + 4 * i
  redis.call('ZREM', KEYS[at], execution)
  redis.call('ZREM', KEYS[at + 1], execution)
  redis.call('ZREM', KEYS[at + 2], execution)
  redis.call('DEL', KEYS[at + 3])
  redis.call('ZREM', KEYS[1], member)
  redis.call('HDEL', KEYS[2], member)
end
return #ARGV / 2
`,
};
