-- Token buckets for one caller under one or more policies: admit `cost` only if every policy
-- has it, and then take it from all of them; a denial changes nothing.
--
-- KEYS[i]  the hash of policy i's bucket (fields `tokens`, `ts`); all KEYS share a hash tag.
-- ARGV[1]  cost; ARGV[2i], ARGV[2i+1]: capacity and refill per second of policy i.
-- Returns  {allowed 1|0, TIME seconds, TIME microseconds, tokens left in each policy}; the
--          caller derives the waits. Tokens travel as strings: a Lua number in a reply would be
--          truncated to an integer. (Numbers passed to redis.call are written exactly.)

local cost = tonumber(ARGV[1])

-- The server's clock is the only clock: app instances may disagree, this one does not.
local time = redis.call('TIME')
local now_us = tonumber(time[1]) * 1000000 + tonumber(time[2])

local capacities, rates, levels, stamps = {}, {}, {}, {}
local allowed = 1
for i, key in ipairs(KEYS) do
  local capacity, rate = tonumber(ARGV[2 * i]), tonumber(ARGV[2 * i + 1])
  local state = redis.call('HMGET', key, 'tokens', 'ts')
  local tokens, last_us = tonumber(state[1]), tonumber(state[2])
  if tokens == nil then
    -- A missing bucket is a full one; that is what makes expiring idle buckets safe.
    tokens, last_us = capacity, now_us
  elseif now_us > last_us then
    tokens = math.min(capacity, tokens + (now_us - last_us) / 1e6 * rate)
  end
  -- A clock that stepped back (a failover to a replica) refills nothing and keeps the later stamp.
  capacities[i], rates[i], levels[i], stamps[i] = capacity, rate, tokens, math.max(now_us, last_us)
  if tokens < cost then
    allowed = 0
  end
end

local reply = {allowed, time[1], time[2]}
for i, key in ipairs(KEYS) do
  local tokens = levels[i]
  if allowed == 1 then
    tokens = tokens - cost
    redis.call('HSET', key, 'tokens', tokens, 'ts', stamps[i])
    -- Expire when the bucket would be full again: idle callers cost no memory.
    redis.call('PEXPIRE', key, math.ceil((capacities[i] - tokens) / rates[i] * 1000))
  end
  reply[i + 3] = string.format('%.17g', tokens)
end
return reply
