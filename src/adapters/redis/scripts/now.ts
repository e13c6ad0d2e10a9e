/** Lua prelude: `now` in epoch ms from the Redis clock, one clock for every replica. */
export const LUA_NOW = `local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
`;
