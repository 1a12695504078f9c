-- Accounts with Twilio-style SIDs, and messages spread evenly over them.
INSERT INTO accounts (sid, name)
SELECT 'AC' || md5(g::text), 'account ' || g FROM generate_series(1, %(accounts)s) AS g;

INSERT INTO messages (account_sid, to_number, from_number, body, status)
SELECT 'AC' || md5((1 + g %% %(accounts)s)::text),
       '+1555' || lpad(g::text, 7, '0'),
       '+1800' || lpad((g %% 1000)::text, 7, '0'),
       'Your verification code is ' || (g %% 1000000),
       'delivered'
FROM generate_series(1, %(rows)s) AS g;
