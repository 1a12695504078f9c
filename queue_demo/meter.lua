-- Reserve a message's departure slot on its sender's schedule; park it if the slot is in the future.
-- A leaky bucket used as a scheduler (GCRA's theoretical arrival time, TAT): each message leaves one
-- interval after the sender's previous one. Parking and acknowledging the stream entry happen
-- together: the entry is never both parked and pending, nor neither.
local tat_key, last_key, parked, stream = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local interval_us, group, entry_id, member = tonumber(ARGV[1]), ARGV[2], ARGV[3], ARGV[4]

-- Redis's own clock: every worker reserves on the same time line, whatever its host's clock says.
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local last = tonumber(redis.call('GET', last_key) or '-1e300')
local depart = math.max(now, tonumber(redis.call('GET', tat_key) or '0'), last + interval_us)
local next_slot = depart + interval_us
-- The keys outlive the schedule by a second: an idle sender costs nothing.
redis.call('SET', tat_key, string.format('%.0f', next_slot),
    'PX', math.ceil((next_slot - now) / 1000) + 1000)
if depart <= now then
    -- Leave now: the caller sends it in this batch; the scheduler will not send another this interval.
    redis.call('SET', last_key, string.format('%.0f', now), 'PX', math.ceil(interval_us / 1000) + 1000)
    return 0
end
redis.call('ZADD', parked, string.format('%.0f', depart), member)
redis.call('XACK', stream, group, entry_id)
return depart - now
