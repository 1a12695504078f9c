-- Dual-write in the database: old code writes account_sid, new code writes account_id; this
-- trigger fills in the other column, so both versions can run side by side during the expand phase.
CREATE OR REPLACE FUNCTION messages_sync_account() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.account_id IS NULL AND NEW.account_sid IS NOT NULL THEN
        NEW.account_id := (SELECT id FROM accounts WHERE sid = NEW.account_sid);
    ELSIF NEW.account_sid IS NULL AND NEW.account_id IS NOT NULL THEN
        NEW.account_sid := (SELECT sid FROM accounts WHERE id = NEW.account_id);
    END IF;
    RETURN NEW;
END
$$;
-- OR REPLACE (PostgreSQL ≥ 14): a revision killed after this commit but before its stamp reruns it.
CREATE OR REPLACE TRIGGER messages_sync_account
    BEFORE INSERT OR UPDATE OF account_sid, account_id ON messages
    FOR EACH ROW EXECUTE FUNCTION messages_sync_account();
