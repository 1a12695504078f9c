-- Keep claimed members leased while their send is still under way: move each score to a fresh lease
-- end, on Redis's clock. A member already removed (sent) stays removed: ZADD XX only updates.
local parked, lease_us = KEYS[1], tonumber(ARGV[1])
local time = redis.call('TIME')
local lease_end = string.format('%.0f', tonumber(time[1]) * 1000000 + tonumber(time[2]) + lease_us)
for i = 2, #ARGV do
    redis.call('ZADD', parked, 'XX', lease_end, ARGV[i])
end
return #ARGV - 1
