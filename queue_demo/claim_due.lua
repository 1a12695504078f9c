-- Claim parked messages whose departure time has come, each with a lease: its score moves to the
-- lease's end, so if the claimer dies before removing it, it becomes due again and another claims it.
-- Returns {wait_us, member...}: wait_us is 0 when something was claimed, else the time until the
-- next departure (-1 when nothing is parked).
local parked = KEYS[1]
local lease_us, count = tonumber(ARGV[1]), tonumber(ARGV[2])

local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local due = redis.call('ZRANGEBYSCORE', parked, '-inf', string.format('%.0f', now), 'LIMIT', 0, count)
if #due > 0 then
    local lease_end = string.format('%.0f', now + lease_us)
    for _, member in ipairs(due) do
        redis.call('ZADD', parked, 'XX', lease_end, member)
    end
    return {0, unpack(due)}
end
local first = redis.call('ZRANGE', parked, 0, 0, 'WITHSCORES')
if #first == 0 then
    return {-1}
end
return {tonumber(first[2]) - now}
