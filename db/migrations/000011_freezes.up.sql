-- Freezing an account: staff stop money leaving it (scope debit) or moving at all (scope full), for
-- a reason, until a time or until an admin unfreezes it. The API records a freeze pending, with the
-- operation its admin polls; the freeze's workflow puts it in force, in one transaction with the
-- account's status, and ends it. Freezes are kept: an account's rows are its freeze history.
--
-- Errors raised here, by SQLSTATE and the constraint name the error carries:
--   23514 check_violation  freezes_lifecycle: a freeze's fields disagree with its status;
--                          freezes_note_for_other: reason other without a note;
--                          freezes_final: what was asked for changes, a final freeze changes, or a
--                          status moves other than pending -> active | failed, active -> ended | failed;
--                          freezes_account_status: at commit, an account is frozen without an active
--                          freeze, or has an active freeze and is not frozen;
--                          postings_account_frozen: a posting takes money out of a frozen account, or
--                          puts money into one frozen in full
--   23505 unique_violation freezes_one_open_per_account: a second pending or active freeze of an
--                          account
--   23001 restrict_violation freezes_no_delete: a freeze is deleted

CREATE TABLE freezes (
    -- Derived from the admin and the request's Idempotency-Key; also its operation's id.
    id                 uuid PRIMARY KEY,
    account_id         uuid NOT NULL REFERENCES accounts (id),
    -- The account's n-th freeze: its workflow is freeze-<account id>-<seq>.
    seq                integer NOT NULL CHECK (seq > 0),
    reason             text NOT NULL CHECK (reason IN ('suspected_fraud', 'customer_request', 'legal_order', 'other')),
    -- The staff's note: staff read it, customers never do.
    note               text NOT NULL DEFAULT '',
    scope              text NOT NULL CHECK (scope IN ('full', 'debit')),
    frozen_by          uuid NOT NULL REFERENCES users (id),
    -- When the freeze ends by itself; null: when an admin unfreezes the account.
    until              timestamptz,
    status             text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'active', 'ended', 'failed')),
    -- When the freeze came into force (the transaction that froze the account), and the account's
    -- balance then.
    frozen_at          timestamptz,
    balance_at_freeze  bigint,
    ended_at           timestamptz,
    -- The admin who unfroze the account; null when the freeze's end came, or it failed.
    ended_by           uuid REFERENCES users (id),
    end_note           text NOT NULL DEFAULT '',
    -- Why a failed freeze failed.
    failure_code       text,
    workflow_id        text NOT NULL UNIQUE,
    created_at         timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT freezes_seq_key UNIQUE (account_id, seq),
    CONSTRAINT freezes_note_for_other CHECK (reason <> 'other' OR btrim(note) <> ''),
    CONSTRAINT freezes_lifecycle CHECK (
        (status = 'pending' AND frozen_at IS NULL AND balance_at_freeze IS NULL AND ended_at IS NULL
            AND ended_by IS NULL AND failure_code IS NULL)
        OR (status = 'active' AND frozen_at IS NOT NULL AND balance_at_freeze IS NOT NULL AND ended_at IS NULL
            AND ended_by IS NULL AND failure_code IS NULL)
        OR (status = 'ended' AND frozen_at IS NOT NULL AND balance_at_freeze IS NOT NULL AND ended_at IS NOT NULL
            AND failure_code IS NULL)
        OR (status = 'failed' AND ended_at IS NOT NULL AND ended_by IS NULL AND failure_code ~ '^[a-z][a-z_]*$'))
);
-- At most one freeze of an account stands or is being applied.
CREATE UNIQUE INDEX freezes_one_open_per_account ON freezes (account_id) WHERE status IN ('pending', 'active');
-- An account's freeze history, newest first.
CREATE INDEX freezes_account_history_idx ON freezes (account_id, created_at DESC, id DESC);

-- What was asked for never changes; a status moves only forward, once; a freeze is never deleted.
-- The function pins its search_path (see 000005).
CREATE FUNCTION freezes_guard() RETURNS trigger
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'freezes are kept' USING ERRCODE = 'restrict_violation', CONSTRAINT = 'freezes_no_delete';
    END IF;
    IF (NEW.id, NEW.account_id, NEW.seq, NEW.reason, NEW.note, NEW.scope, NEW.frozen_by, NEW.until,
        NEW.workflow_id, NEW.created_at)
       IS DISTINCT FROM
       (OLD.id, OLD.account_id, OLD.seq, OLD.reason, OLD.note, OLD.scope, OLD.frozen_by, OLD.until,
        OLD.workflow_id, OLD.created_at) THEN
        RAISE EXCEPTION 'freeze % cannot change what was asked', OLD.id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'freezes_final';
    END IF;
    IF OLD.status IN ('ended', 'failed') AND NEW IS DISTINCT FROM OLD THEN
        RAISE EXCEPTION 'freeze % has %', OLD.id, OLD.status
            USING ERRCODE = 'check_violation', CONSTRAINT = 'freezes_final';
    END IF;
    IF NEW.status <> OLD.status AND (OLD.status, NEW.status) NOT IN
       (('pending', 'active'), ('pending', 'failed'), ('active', 'ended'), ('active', 'failed')) THEN
        RAISE EXCEPTION 'freeze % cannot go from % to %', OLD.id, OLD.status, NEW.status
            USING ERRCODE = 'check_violation', CONSTRAINT = 'freezes_final';
    END IF;
    IF OLD.status = 'active' AND (NEW.frozen_at, NEW.balance_at_freeze) IS DISTINCT FROM (OLD.frozen_at, OLD.balance_at_freeze) THEN
        RAISE EXCEPTION 'freeze % came into force once', OLD.id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'freezes_final';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER freezes_guard
    BEFORE UPDATE OR DELETE ON freezes
    FOR EACH ROW EXECUTE FUNCTION freezes_guard();

-- At commit, an account is frozen exactly while it has an active freeze: both change in one
-- transaction, or neither does.
CREATE FUNCTION freezes_account_status() RETURNS trigger
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
DECLARE
    frozen boolean;
    active boolean;
BEGIN
    SELECT a.status = 'frozen', EXISTS (SELECT 1 FROM freezes f WHERE f.account_id = a.id AND f.status = 'active')
    INTO frozen, active
    FROM accounts a WHERE a.id = NEW.account_id;
    IF frozen IS DISTINCT FROM active THEN
        RAISE EXCEPTION 'account % is % but has % active freeze', NEW.account_id,
            CASE WHEN frozen THEN 'frozen' ELSE 'not frozen' END, CASE WHEN active THEN 'an' ELSE 'no' END
            USING ERRCODE = 'check_violation', CONSTRAINT = 'freezes_account_status';
    END IF;
    RETURN NULL;
END;
$$;

CREATE CONSTRAINT TRIGGER freezes_account_status
    AFTER INSERT OR UPDATE ON freezes
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION freezes_account_status();

-- The same check when an account's status changes.
CREATE FUNCTION accounts_freeze_status() RETURNS trigger
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
BEGIN
    IF (NEW.status = 'frozen') IS DISTINCT FROM
       EXISTS (SELECT 1 FROM freezes f WHERE f.account_id = NEW.id AND f.status = 'active') THEN
        RAISE EXCEPTION 'account % is % but has % active freeze', NEW.id, NEW.status,
            CASE WHEN NEW.status = 'frozen' THEN 'no' ELSE 'an' END
            USING ERRCODE = 'check_violation', CONSTRAINT = 'freezes_account_status';
    END IF;
    RETURN NULL;
END;
$$;

CREATE CONSTRAINT TRIGGER accounts_freeze_status
    AFTER UPDATE OF status ON accounts
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION accounts_freeze_status();

-- No posting takes money out of a frozen account, nor puts money into one frozen in full. The
-- ledger's writers check this under the account's lock first (db/tx_transfer.go); this is the
-- backstop. postings_follow_history, which runs first (triggers run in name order), has locked the
-- account, so no freeze can commit between this check and the posting's commit.
CREATE FUNCTION postings_respect_freeze() RETURNS trigger
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM accounts WHERE id = NEW.account_id AND status = 'frozen')
       AND (NEW.amount < 0 OR NOT EXISTS (
           SELECT 1 FROM freezes WHERE account_id = NEW.account_id AND status = 'active' AND scope = 'debit')) THEN
        RAISE EXCEPTION 'account % is frozen: no posting of %', NEW.account_id, NEW.amount
            USING ERRCODE = 'check_violation', CONSTRAINT = 'postings_account_frozen';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER postings_respect_freeze
    BEFORE INSERT ON postings
    FOR EACH ROW EXECUTE FUNCTION postings_respect_freeze();

-- A freeze is an operation its admin polls.
ALTER TABLE operations DROP CONSTRAINT operations_kind_check;
ALTER TABLE operations ADD CONSTRAINT operations_kind_check
    CHECK (kind IN ('registration', 'transfer', 'cash_approval', 'freeze'));
