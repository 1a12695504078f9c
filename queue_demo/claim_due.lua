-- Claim parked messages whose departure time has come, each with a lease: its score moves to the
-- lease's end, so if the claimer dies before removing it, it becomes due again and another claims it.
-- A sender's departures stay one interval apart even when its slots all fell due at once (the
-- workers were down): a due member whose sender left less than an interval ago is moved back to its
-- sender's next free slot instead, in score order, and that slot is taken.
-- Returns {wait_us, member...}: wait_us is 0 when something was claimed, else the time until the
-- next departure (-1 when nothing is parked).
-- The sender's keys are named here from the member (one Redis instance; a cluster would need the
-- sender's keys in the parked set's hash slot).
local parked, prefix = KEYS[1], KEYS[2]
local lease_us, count, interval_us = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])

local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local function fmt(us) return string.format('%.0f', us) end

local due = redis.call('ZRANGEBYSCORE', parked, '-inf', fmt(now), 'LIMIT', 0, count)
local claimed = {}
local next_slot = {} -- per sender, in this call: where its next deferred member goes

-- Claim `member` now if its sender has not left within the interval, else move it to the next slot.
local function claim_or_defer(member, sender)
    local tat_key, last_key = prefix .. ':tat:' .. sender, prefix .. ':last:' .. sender
    local tat = tonumber(redis.call('GET', tat_key) or '0')
    local last = tonumber(redis.call('GET', last_key) or '-1e300')
    if now >= last + interval_us then
        redis.call('SET', last_key, fmt(now), 'PX', math.ceil(interval_us / 1000) + 1000)
        redis.call('ZADD', parked, 'XX', fmt(now + lease_us), member)
        claimed[#claimed + 1] = member
        -- Later messages of this sender are reserved from here on, not from a slot in the past.
        tat = math.max(tat, now + interval_us)
    else
        -- Right behind the departure that blocks it, and behind any deferred before it in this call.
        local slot = next_slot[sender] or (last + interval_us)
        redis.call('ZADD', parked, 'XX', fmt(slot), member)
        next_slot[sender] = slot + interval_us
        tat = math.max(tat, slot + interval_us)
    end
    redis.call('SET', tat_key, fmt(tat), 'PX', math.ceil((tat - now) / 1000) + 1000)
end

for _, member in ipairs(due) do
    local ok, decoded = pcall(cjson.decode, member)
    local sender = ok and type(decoded) == 'table' and decoded['sender']
    if type(sender) == 'string' then
        claim_or_defer(member, sender)
    else
        claimed[#claimed + 1] = member -- not one of ours: the caller drops it, loudly
    end
end
if #claimed > 0 then
    return {0, unpack(claimed)}
end
local first = redis.call('ZRANGE', parked, 0, 0, 'WITHSCORES')
if #first == 0 then
    return {-1}
end
return {math.max(tonumber(first[2]) - now, 1)}
