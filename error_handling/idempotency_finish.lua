-- Store the response for a claimed key, if the claim is still ours (it may have lapsed).
local record = KEYS[1]
local token, status, headers, body, retention_ms = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]

if redis.call('HGET', record, 'token') ~= token then
  return 0
end
redis.call('HSET', record, 'state', 'done', 'status', status, 'headers', headers, 'body', body)
redis.call('PEXPIRE', record, retention_ms)
return 1
