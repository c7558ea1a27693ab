-- One vocabulary from the SQL to the JSON (domain/states.go and domain/codes.go spell every value):
-- a hold is placed, then captured or voided; an account's on_hold is the sum of its active holds;
-- failure codes are snake_case.

ALTER TABLE accounts RENAME COLUMN held TO on_hold;

-- An expired hold is a voided one; the transfer's timeline says it expired.
ALTER TABLE holds DROP CONSTRAINT holds_status_check;
UPDATE holds SET status = 'voided' WHERE status = 'expired';
ALTER TABLE holds ADD CONSTRAINT holds_status_check CHECK (status IN ('active', 'captured', 'voided'));
CREATE INDEX holds_active_account_idx ON holds (account_id) WHERE status = 'active';

-- A transfer's timeline names each step by what was done, whether it worked or not.
UPDATE transfer_steps SET name = CASE name
    WHEN 'validated' THEN 'validate'
    WHEN 'reserved'  THEN 'place_hold'
    WHEN 'reserve'   THEN 'place_hold'
    WHEN 'posted'    THEN 'post'
    WHEN 'voided'    THEN 'void_hold'
    WHEN 'expired'   THEN 'expire_hold'
    ELSE name END;
ALTER TABLE transfer_steps ADD CONSTRAINT transfer_steps_name_check
    CHECK (name IN ('validate', 'place_hold', 'post', 'void_hold', 'expire_hold'));

UPDATE transfers SET failure_code = CASE failure_code
    WHEN 'EmailTaken'        THEN 'email_taken'
    WHEN 'AccountNotFound'   THEN 'account_not_found'
    WHEN 'AccountNotActive'  THEN 'account_not_active'
    WHEN 'CurrencyMismatch'  THEN 'currency_mismatch'
    WHEN 'NotOwner'          THEN 'not_owner'
    WHEN 'InsufficientFunds' THEN 'insufficient_funds'
    WHEN 'LimitExceeded'     THEN 'limit_exceeded'
    WHEN 'HoldNotActive'     THEN 'hold_expired'
    WHEN 'Canceled'          THEN 'canceled'
    ELSE 'internal_error' END
WHERE failure_code IS NOT NULL;
ALTER TABLE transfers ADD CONSTRAINT transfers_failure_code_snake_case
    CHECK (failure_code ~ '^[a-z][a-z_]*$');
ALTER TABLE transfers ADD CONSTRAINT transfers_failure_only_when_not_completed
    CHECK ((status IN ('failed', 'compensated')) = (failure_code IS NOT NULL));

ALTER TABLE operations ADD CONSTRAINT operations_kind_check CHECK (kind IN ('registration', 'transfer'));

-- The emails the bank sends, one row per email, keyed by the notification it carries: written with
-- the outcome it tells of, marked sent the moment the mail server accepts it, so a retried send
-- finds it sent and sends nothing.
CREATE TABLE emails (
    id          text PRIMARY KEY,
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    subject     text NOT NULL,
    body        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    sent_at     timestamptz
);
CREATE INDEX emails_unsent_idx ON emails (created_at, id) WHERE sent_at IS NULL;
