-- Each service owns its tables. In production each would be its own database. Here they share one
-- schema, and no service reads another service's tables: accounts go through HTTP, billing through events.

-- Owned by the accounts service (and, in the monolith, by the accounts module). Not named `accounts`:
-- other answers composed into the same app have accounts tables of their own.
CREATE TABLE IF NOT EXISTS customer_accounts (
    id           uuid PRIMARY KEY,
    name         text NOT NULL,
    status       text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
    credit_cents bigint NOT NULL CHECK (credit_cents >= 0),
    created_at   timestamptz NOT NULL DEFAULT now()
);

-- Owned by the messages service.
CREATE TABLE IF NOT EXISTS sent_messages (
    id         uuid PRIMARY KEY,
    account_id uuid NOT NULL,
    to_number  text NOT NULL,
    body       text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Owned by billing. No unique key on message_id, on purpose. The inbox is what stops a double charge,
-- and the tests count duplicates here to prove it.
CREATE TABLE IF NOT EXISTS billing_records (
    id                 bigserial PRIMARY KEY,
    message_id         uuid NOT NULL,
    account_id         uuid NOT NULL,
    amount_cents       bigint NOT NULL,
    message_created_at timestamptz NOT NULL,
    trace_id           text NOT NULL DEFAULT '',
    billed_at          timestamptz NOT NULL DEFAULT clock_timestamp()
);
