-- Dual-write in the database: old code (v1) writes account_sid, new code (v2) writes account_id; this
-- trigger derives the other column from the one the statement wrote, on INSERT and on UPDATE, so both
-- versions run side by side during the expand phase and the two columns always name one account.
CREATE OR REPLACE FUNCTION messages_sync_account() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    sid_written boolean;
    id_written boolean;
BEGIN
    IF TG_OP = 'INSERT' THEN
        sid_written := NEW.account_sid IS NOT NULL;
        id_written := NEW.account_id IS NOT NULL;
    ELSE
        -- Filling only NULLs is not enough: v1 moving a message to another account would leave
        -- account_id naming the old one (and v2 the reverse). What changed is what was written.
        sid_written := NEW.account_sid IS DISTINCT FROM OLD.account_sid;
        id_written := NEW.account_id IS DISTINCT FROM OLD.account_id;
    END IF;
    IF sid_written AND NOT id_written THEN
        NEW.account_id := (SELECT id FROM accounts WHERE sid = NEW.account_sid);
    ELSIF id_written AND NOT sid_written THEN
        NEW.account_sid := (SELECT sid FROM accounts WHERE id = NEW.account_id);
    END IF;
    -- A statement that writes both (neither app version does) is trusted as written.
    RETURN NEW;
END
$$;
-- OR REPLACE (PostgreSQL ≥ 14): a revision killed after this commit but before its stamp reruns it.
CREATE OR REPLACE TRIGGER messages_sync_account
    BEFORE INSERT OR UPDATE OF account_sid, account_id ON messages
    FOR EACH ROW EXECUTE FUNCTION messages_sync_account();
