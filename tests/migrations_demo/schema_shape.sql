-- What a schema holds, one line per object: two runs that end in the same shape print the same lines.
SELECT 'table ' || tablename FROM pg_tables WHERE schemaname = current_schema()
UNION ALL
SELECT 'column ' || table_name || '.' || column_name || ' ' || data_type || ' nullable=' || is_nullable
FROM information_schema.columns WHERE table_schema = current_schema()
UNION ALL
SELECT 'index ' || c.relname || ' valid=' || i.indisvalid || ' ' || pg_get_indexdef(i.indexrelid)
FROM pg_index AS i JOIN pg_class AS c ON c.oid = i.indexrelid
WHERE c.relnamespace = current_schema()::regnamespace
UNION ALL
SELECT 'constraint ' || conname || ' validated=' || convalidated || ' ' || pg_get_constraintdef(oid)
FROM pg_constraint WHERE connamespace = current_schema()::regnamespace
UNION ALL
SELECT 'trigger ' || tgname FROM pg_trigger
WHERE NOT tgisinternal AND tgrelid IN (SELECT oid FROM pg_class WHERE relnamespace = current_schema()::regnamespace)
UNION ALL
SELECT 'function ' || proname FROM pg_proc WHERE pronamespace = current_schema()::regnamespace
ORDER BY 1
