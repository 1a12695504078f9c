-- Move one entry to the dead-letter stream and acknowledge it, atomically: never both lost, never both kept.
-- The event-id set keeps a twice-published poison event from being dead-lettered twice.
local source_stream = KEYS[1]
local dead_letter_stream = KEYS[2]
local dead_event_ids = KEYS[3]
local group, entry_id, event_id = ARGV[1], ARGV[2], ARGV[3]
local reason, history, original, consumer, deliveries = ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8]

local dead_id = false
if event_id == '' or redis.call('SADD', dead_event_ids, event_id) == 1 then
    dead_id = redis.call('XADD', dead_letter_stream, '*',
        'source_stream', source_stream, 'source_id', entry_id, 'group', group,
        'event_id', event_id, 'reason', reason, 'history', history, 'original', original,
        'consumer', consumer, 'deliveries', deliveries)
end
redis.call('XACK', source_stream, group, entry_id)
return dead_id
