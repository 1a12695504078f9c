-- Extend the lease on entries this consumer is still working on: reset their idle time to zero.
-- Only entries it still owns: XCLAIM alone would snatch back an entry another consumer has claimed.
-- JUSTID leaves the delivery counter alone, so a heartbeat never counts as a redelivery.
local stream = KEYS[1]
local group, consumer = ARGV[1], ARGV[2]

local refreshed = 0
for i = 3, #ARGV do
    local pending = redis.call('XPENDING', stream, group, ARGV[i], ARGV[i], 1)
    if pending[1] and pending[1][2] == consumer then
        redis.call('XCLAIM', stream, group, consumer, 0, ARGV[i], 'JUSTID')
        refreshed = refreshed + 1
    end
end
return refreshed
