-- The table behind the cache-aside example: accounts read by id, as an API reads them per request.
CREATE TABLE IF NOT EXISTS accounts (
    id bigint PRIMARY KEY,
    name text NOT NULL,
    plan text NOT NULL,
    balance_cents bigint NOT NULL
);

INSERT INTO accounts (id, name, plan, balance_cents)
SELECT n, 'account ' || n, (ARRAY['free', 'pro', 'enterprise'])[1 + mod(n, 3)], mod(n * 7919, 100000)
FROM generate_series(1, %(count)s) AS n
ON CONFLICT (id) DO NOTHING;
