-- Give a claimed key back (the request failed, so a retry may run it), if the claim is ours.
local record = KEYS[1]
local token = ARGV[1]

if redis.call('HGET', record, 'token') ~= token then
  return 0
end
return redis.call('DEL', record)
