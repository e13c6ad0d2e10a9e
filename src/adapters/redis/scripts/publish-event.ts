import type { LuaScript } from '../run-script.ts';

/**
 * publishEvents: number a batch of events (one replica's publishes of one loop turn, in order) and
 * publish them as one message in one atomic step, so sequences are gap-free per stream and
 * subscribers of every replica see them in sequence order. One message per batch, not per event:
 * a herd of 1,000 fires is a few messages, and a replica nobody subscribes to reads only the header.
 *
 * KEYS[1] {prefix}:seq:execution   KEYS[2] {prefix}:seq:job   counters
 * ARGV[1] channel
 * ARGV[2], ARGV[3] the highest sequence the caller has seen on each stream: a counter below it was
 *         lost (a Redis that came back empty), so it resumes above it and sequences never go back.
 * ARGV[4], ARGV[5] how many of the batch's events are of each stream
 * ARGV[6] the events as a JSON array, in publish order (passed through untouched)
 * Publishes "<first execution sequence> <count> <first job sequence> <count> <JSON array>" (a
 * stream's events take its sequences from its first on, in array order); returns the last
 * sequence of each stream.
 */
export const publishEventsScript: LuaScript = {
  name: 'publishEvents',
  lua: `local header = {}
local last = {}
for i = 1, 2 do
  local count = tonumber(ARGV[3 + i]) or 0
  local seen = tonumber(ARGV[1 + i]) or 0
  local current = tonumber(redis.call('GET', KEYS[i]) or '0') or 0
  if current < seen then
    redis.call('SET', KEYS[i], string.format('%d', seen))
    current = seen
  end
  if count > 0 then current = redis.call('INCRBY', KEYS[i], count) end
  last[i] = current
  header[#header + 1] = string.format('%d %d', current - count + 1, count)
end
redis.call('PUBLISH', ARGV[1], table.concat(header, ' ') .. ' ' .. ARGV[6])
return last
`,
};
