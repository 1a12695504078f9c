-- Move one entry to the dead-letter stream and acknowledge it, atomically: never both lost, never both kept.
local source_stream = KEYS[1]
local dead_letter_stream = KEYS[2]
local dead_keys = KEYS[3]
local group, entry_id, event_id = ARGV[1], ARGV[2], ARGV[3]
local reason, history, original, consumer, deliveries = ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8]

-- Only the consumer that holds the entry may dead-letter it. One whose lease ran out and whose entry
-- was claimed would otherwise write a second dead letter; it gets false and leaves the entry alone.
local pending = redis.call('XPENDING', source_stream, group, entry_id, entry_id, 1)
if not pending[1] or pending[1][2] ~= consumer then
    return false
end

-- One dead letter per event: a twice-published poison event is acked, not dead-lettered again.
-- A malformed entry's event_id cannot be trusted, so its entry id is its key.
local key = event_id
if key == '' then
    key = 'entry:' .. entry_id
end
local dead_id = 'duplicate'
if redis.call('SADD', dead_keys, key) == 1 then
    dead_id = redis.call('XADD', dead_letter_stream, '*',
        'source_stream', source_stream, 'source_id', entry_id, 'group', group,
        'event_id', event_id, 'reason', reason, 'history', history, 'original', original,
        'consumer', consumer, 'deliveries', deliveries)
end
redis.call('XACK', source_stream, group, entry_id)
return dead_id
