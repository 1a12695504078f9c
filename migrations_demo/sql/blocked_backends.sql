-- Who waits, and for whom: only our own backends (other people share this server).
SELECT pid, application_name, pg_blocking_pids(pid), left(query, 80)
FROM pg_stat_activity
WHERE datname = current_database()
  AND application_name LIKE %(prefix)s
  AND cardinality(pg_blocking_pids(pid)) > 0
ORDER BY pid;
