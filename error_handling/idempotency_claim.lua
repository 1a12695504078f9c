-- Claim an Idempotency-Key for one request, or report the record that already holds it.
-- Returns nil when claimed; else {state, fingerprint, status, headers, body}.
local record = KEYS[1]
local token, fingerprint, lock_ms = ARGV[1], ARGV[2], ARGV[3]

if redis.call('EXISTS', record) == 1 then
  return redis.call('HMGET', record, 'state', 'fingerprint', 'status', 'headers', 'body')
end
redis.call('HSET', record, 'state', 'running', 'token', token, 'fingerprint', fingerprint)
-- A crashed holder must not block the key forever: the claim lapses after lock_ms.
redis.call('PEXPIRE', record, lock_ms)
return nil
