-- Where the backfill stands, committed with each batch: a killed backfill resumes from here.
CREATE TABLE IF NOT EXISTS backfill_progress (
    name text PRIMARY KEY,
    last_id bigint NOT NULL DEFAULT 0,
    rows_done bigint NOT NULL DEFAULT 0,
    finished boolean NOT NULL DEFAULT false,
    updated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO backfill_progress (name) VALUES ('messages.account_id') ON CONFLICT DO NOTHING;
