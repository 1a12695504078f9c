-- The producer's side: a message and the event announcing it are written in one transaction.
CREATE TABLE IF NOT EXISTS messages (
    id           uuid PRIMARY KEY,
    to_number    text NOT NULL,
    body         text NOT NULL,
    callback_url text,
    status       text NOT NULL DEFAULT 'queued',
    created_at   timestamptz NOT NULL DEFAULT now()
);
