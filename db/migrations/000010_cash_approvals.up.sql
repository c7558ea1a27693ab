-- Four eyes on large cash: a deposit or withdrawal at or above its currency's approval threshold is
-- recorded as a pending approval, and moves money only once a second admin approves it, as a
-- transfer of its own. The API decides an approval with one conditional UPDATE from pending; the
-- database refuses what no code path may do.
--
-- Errors raised here, by SQLSTATE and the constraint name the error carries:
--   23514 check_violation  cash_approvals_four_eyes: the admin who asked decides;
--                          cash_approvals_decision: a decision without its decider or time (or an
--                          expiry with a decider);
--                          cash_approvals_transfer_only_when_approved: a transfer linked to an
--                          approval that is not approved;
--                          cash_approvals_decider_independent: the decider owns the account, or is
--                          not an active admin;
--                          cash_approvals_final: a decided approval changes (other than linking
--                          its transfer once), or a request's own fields change
--   23001 restrict_violation cash_approvals_no_delete: an approval is deleted
--   23503 foreign_key_violation cash_approvals_account_currency_fkey: a currency other than the
--                          account's

CREATE TABLE cash_approvals (
    -- Derived from the requesting admin and the request's Idempotency-Key, like a transfer's id.
    id            uuid PRIMARY KEY,
    kind          text NOT NULL CHECK (kind IN ('deposit', 'withdrawal')),
    -- The customer account the cash goes into or comes out of.
    account_id    uuid NOT NULL,
    amount        bigint NOT NULL CHECK (amount > 0 AND amount <= 1000000000000000),
    currency      char(3) NOT NULL REFERENCES currencies (code),
    description   text NOT NULL DEFAULT '',
    requested_by  uuid NOT NULL REFERENCES users (id),
    status        text NOT NULL DEFAULT 'pending'
                  CHECK (status IN ('pending', 'approved', 'rejected', 'expired')),
    decided_by    uuid REFERENCES users (id),
    decided_at    timestamptz,
    -- The transfer an approval started, linked once it is recorded.
    transfer_id   uuid UNIQUE REFERENCES transfers (id),
    workflow_id   text NOT NULL UNIQUE,
    expires_at    timestamptz NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT cash_approvals_account_currency_fkey
        FOREIGN KEY (account_id, currency) REFERENCES accounts (id, currency),
    CONSTRAINT cash_approvals_four_eyes CHECK (decided_by <> requested_by),
    CONSTRAINT cash_approvals_decision CHECK (
        (status = 'pending' AND decided_by IS NULL AND decided_at IS NULL)
        OR (status IN ('approved', 'rejected') AND decided_by IS NOT NULL AND decided_at IS NOT NULL)
        OR (status = 'expired' AND decided_by IS NULL AND decided_at IS NOT NULL)),
    CONSTRAINT cash_approvals_transfer_only_when_approved CHECK (transfer_id IS NULL OR status = 'approved'),
    CONSTRAINT cash_approvals_expires_after_creation CHECK (expires_at > created_at)
);
-- The approvers' queue: pending approvals, oldest (soonest to expire) first.
CREATE INDEX cash_approvals_pending_idx ON cash_approvals (created_at, id) WHERE status = 'pending';
-- An admin's cash of the day, for the daily limit.
CREATE INDEX cash_approvals_requested_by_idx ON cash_approvals (requested_by, created_at);

-- A request's own fields never change; a decision is taken once, by an active admin who does not own
-- the account; after it only the approved transfer's link may be set, once. Approvals are never
-- deleted. The function pins its search_path (see 000005).
CREATE FUNCTION cash_approvals_guard() RETURNS trigger
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'cash approvals are kept' USING ERRCODE = 'restrict_violation',
            CONSTRAINT = 'cash_approvals_no_delete';
    END IF;
    IF (NEW.id, NEW.kind, NEW.account_id, NEW.amount, NEW.currency, NEW.description, NEW.requested_by,
        NEW.workflow_id, NEW.expires_at, NEW.created_at)
       IS DISTINCT FROM
       (OLD.id, OLD.kind, OLD.account_id, OLD.amount, OLD.currency, OLD.description, OLD.requested_by,
        OLD.workflow_id, OLD.expires_at, OLD.created_at) THEN
        RAISE EXCEPTION 'cash approval % cannot change what was asked', OLD.id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'cash_approvals_final';
    END IF;
    IF OLD.status <> 'pending' AND (
        (NEW.status, NEW.decided_by, NEW.decided_at) IS DISTINCT FROM (OLD.status, OLD.decided_by, OLD.decided_at)
        OR (OLD.transfer_id IS NOT NULL AND NEW.transfer_id IS DISTINCT FROM OLD.transfer_id)) THEN
        RAISE EXCEPTION 'cash approval % was already decided (%)', OLD.id, OLD.status
            USING ERRCODE = 'check_violation', CONSTRAINT = 'cash_approvals_final';
    END IF;
    IF OLD.decided_by IS NULL AND NEW.decided_by IS NOT NULL AND (
        EXISTS (SELECT 1 FROM accounts WHERE id = NEW.account_id AND user_id = NEW.decided_by)
        OR NOT EXISTS (SELECT 1 FROM users WHERE id = NEW.decided_by AND role = 'admin' AND status = 'active')) THEN
        RAISE EXCEPTION 'cash approval % must be decided by an active admin who does not own its account', OLD.id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'cash_approvals_decider_independent';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER cash_approvals_guard
    BEFORE UPDATE OR DELETE ON cash_approvals
    FOR EACH ROW EXECUTE FUNCTION cash_approvals_guard();

-- A cash approval is an operation its requester polls.
ALTER TABLE operations DROP CONSTRAINT operations_kind_check;
ALTER TABLE operations ADD CONSTRAINT operations_kind_check
    CHECK (kind IN ('registration', 'transfer', 'cash_approval'));
