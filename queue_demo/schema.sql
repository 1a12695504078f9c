-- The transactional outbox: rows the relay has not yet published have published_at NULL.
CREATE TABLE IF NOT EXISTS outbox (
    id           bigserial PRIMARY KEY,
    event_id     uuid NOT NULL UNIQUE,
    stream       text NOT NULL,
    event_type   text NOT NULL,
    payload      jsonb NOT NULL,
    request_id   text NOT NULL DEFAULT '',
    traceparent  text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    published_at timestamptz
);
CREATE INDEX IF NOT EXISTS outbox_unpublished ON outbox (id) WHERE published_at IS NULL;

-- The inbox: one row per (consumer, event) it has applied: the primary key is the idempotency.
CREATE TABLE IF NOT EXISTS inbox (
    consumer     text NOT NULL,
    event_id     uuid NOT NULL,
    processed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
);

-- The effect: an append-only ledger of deliveries. Nothing here stops a duplicate: the inbox does.
CREATE TABLE IF NOT EXISTS deliveries (
    id           bigserial PRIMARY KEY,
    event_id     uuid NOT NULL,
    message_id   text NOT NULL,  -- text: this demo's uuids, or another service's SIDs
    carrier_sid  text NOT NULL,
    attempts     integer NOT NULL,
    consumer     text NOT NULL,
    delivered_at timestamptz NOT NULL DEFAULT now()
);
