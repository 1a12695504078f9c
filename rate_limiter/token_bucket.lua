-- Token buckets for one caller under one or more policies: admit `cost` only if every policy
-- has it, and then take it from all of them; a denial changes nothing.
--
-- All numbers are integers: micro-tokens and microseconds. Lua numbers are doubles, exact up to
-- 2^53, so every product below is split to stay under that (see the refill).
--
-- KEYS[i]  the hash of policy i's bucket (fields `tokens`, `ts`); all KEYS share a hash tag.
-- ARGV[1]  cost; ARGV[2i], ARGV[2i+1]: capacity and refill per second of policy i.
-- Returns  {allowed 1|0, TIME in microseconds, then for each policy: the micro-tokens its bucket
--          holds as of its stamp, and the microseconds since that stamp}. The caller derives
--          what is left and the waits from these with the same arithmetic (decision.verdict).

local cost = tonumber(ARGV[1])

-- The server's clock is the only clock: app instances may disagree, this one does not.
local time = redis.call('TIME')
local now = time[1] * 1000000 + time[2]

local bases, lasts, refilled = {}, {}, {}
local allowed = 1
for i, key in ipairs(KEYS) do
  local capacity, rate = tonumber(ARGV[2 * i]), tonumber(ARGV[2 * i + 1])
  local state = redis.call('HMGET', key, 'tokens', 'ts')
  local base, last = tonumber(state[1]), tonumber(state[2])
  if base == nil then
    -- A missing bucket is a full one; that is what makes expiring idle buckets safe.
    base, last = capacity, now
  end
  local tokens = base
  local elapsed = now - last
  if elapsed > 0 then
    -- floor(elapsed * rate / 10^6), split into whole seconds and whole tokens per second so
    -- that no partial product passes 2^53; a huge first term is capped by the capacity anyway.
    local seconds, micros = math.floor(elapsed / 1000000), elapsed % 1000000
    local whole, part = math.floor(rate / 1000000), rate % 1000000
    local refill = seconds * rate + micros * whole + math.floor(micros * part / 1000000)
    tokens = math.min(capacity, base + refill)
  end
  bases[i], lasts[i], refilled[i] = base, last, tokens
  if tokens < cost then
    allowed = 0
  end
end

local reply = {allowed, now}
for i, key in ipairs(KEYS) do
  if allowed == 1 then
    local capacity, rate = tonumber(ARGV[2 * i]), tonumber(ARGV[2 * i + 1])
    bases[i] = refilled[i] - cost
    -- A clock that stepped back (a failover to a replica) refills nothing and keeps the later stamp.
    lasts[i] = math.max(now, lasts[i])
    -- Turned into text here, as integers: a Lua number handed to redis.call is formatted with
    -- printf's %.17g, the same digits by a slower road (the README's instruction counts).
    local tokens_text, stamp_text = string.format('%d', bases[i]), string.format('%d', lasts[i])
    redis.call('HSET', key, 'tokens', tokens_text, 'ts', stamp_text)
    -- Expire when the bucket would be full again, rounded up to the millisecond (an exact
    -- ceiling: a quotient that rounds down to a whole number would expire it early). Idle
    -- callers cost no memory, and a missing bucket is a full one.
    local gap = (capacity - bases[i]) * 1000
    local ttl = math.floor(gap / rate)
    if ttl * rate < gap then
      ttl = ttl + 1
    end
    redis.call('PEXPIRE', key, string.format('%d', ttl))
  end
  reply[2 * i + 1] = bases[i]
  reply[2 * i + 2] = now - lasts[i]
end
return reply
