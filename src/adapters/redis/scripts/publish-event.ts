import type { LuaScript } from '../run-script.ts';

/**
 * publishEvent: number an event and publish it in one atomic step, so sequences are gap-free and
 * subscribers of every replica see them in sequence order.
 *
 * KEYS[1] {prefix}:seq:<stream>  counter
 * ARGV[1] channel
 * ARGV[2] event JSON (passed through untouched)
 * ARGV[3] the highest sequence the caller has seen on this stream: a counter below it was lost (a
 *         Redis that came back empty), so it resumes above it and sequences never go back.
 * Publishes "<sequence> <event JSON>"; returns the sequence.
 */
export const publishEventScript: LuaScript = {
  name: 'publishEvent',
  lua: `local seen = tonumber(ARGV[3] or '0') or 0
if (tonumber(redis.call('GET', KEYS[1]) or '0') or 0) < seen then
  redis.call('SET', KEYS[1], string.format('%d', seen))
end
local sequence = redis.call('INCR', KEYS[1])
redis.call('PUBLISH', ARGV[1], string.format('%d', sequence) .. ' ' .. ARGV[2])
return sequence
`,
};
