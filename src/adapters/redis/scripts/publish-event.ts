import type { LuaScript } from '../run-script.ts';

/**
 * publishEvent: number an event and publish it in one atomic step, so sequences are gap-free and
 * subscribers of every replica see them in sequence order.
 *
 * KEYS[1] {prefix}:seq:<stream>  counter
 * ARGV[1] channel
 * ARGV[2] event JSON (passed through untouched)
 * Publishes "<sequence> <event JSON>"; returns the sequence.
 */
export const publishEventScript: LuaScript = {
  name: 'publishEvent',
  lua: `local sequence = redis.call('INCR', KEYS[1])
redis.call('PUBLISH', ARGV[1], string.format('%d', sequence) .. ' ' .. ARGV[2])
return sequence
`,
};
