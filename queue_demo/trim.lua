-- Trim a stream up to the oldest entry some consumer group still needs, as one atomic step:
-- a group created or read between computing that floor and trimming could otherwise lose entries.
-- An entry is needed while it is pending in some group, or not yet delivered to it.
local stream = KEYS[1]
if redis.call('EXISTS', stream) == 0 then
    return 0
end

local function older(a, b)
    local a_ms, a_seq = string.match(a, '^(%d+)-(%d+)$')
    local b_ms, b_seq = string.match(b, '^(%d+)-(%d+)$')
    a_ms, b_ms = tonumber(a_ms), tonumber(b_ms)
    return a_ms < b_ms or (a_ms == b_ms and tonumber(a_seq) < tonumber(b_seq))
end

local floor = nil
for _, group in ipairs(redis.call('XINFO', 'GROUPS', stream)) do
    local info = {}
    for i = 1, #group, 2 do
        info[group[i]] = group[i + 1]
    end
    -- XPENDING's summary: {count, oldest pending id (nil when none), newest, consumers}.
    local needed = redis.call('XPENDING', stream, info['name'])[2] or info['last-delivered-id']
    if needed == '0-0' then
        return 0  -- a group that has read nothing needs everything
    end
    if floor == nil or older(needed, floor) then
        floor = needed
    end
end
if floor == nil then
    return 0  -- no group: nobody has said what they need, so keep everything
end
-- '~' trims whole radix-tree nodes only: cheap, and it never removes an entry at or after `floor`.
return redis.call('XTRIM', stream, 'MINID', '~', floor)
