-- One keyset batch: the next ids after the saved position. The data and the position change in
-- one statement, so one commit: a kill between batches loses nothing and repeats nothing.
-- Rows above %(upto)s (max id once the trigger existed) are filled by the trigger as they are written.
WITH batch AS (
    SELECT id FROM messages
    WHERE id > %(after)s AND id <= %(upto)s
    ORDER BY id LIMIT %(batch_size)s
), filled AS (
    UPDATE messages AS m
    SET account_id = a.id
    FROM batch, accounts AS a
    WHERE m.id = batch.id AND m.account_id IS NULL AND a.sid = m.account_sid
    RETURNING m.id
)
UPDATE backfill_progress
SET last_id = coalesce((SELECT max(id) FROM batch), last_id),
    rows_done = rows_done + (SELECT count(*) FROM filled),
    finished = NOT EXISTS (SELECT 1 FROM batch),
    updated_at = now()
WHERE name = 'messages.account_id'
RETURNING last_id, rows_done, finished;
