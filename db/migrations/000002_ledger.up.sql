-- The double-entry ledger: accounts, holds, transactions with postings, and transfers.

CREATE TABLE currencies (
    code      char(3) PRIMARY KEY CHECK (code ~ '^[A-Z]{3}$'),
    exponent  smallint NOT NULL CHECK (exponent BETWEEN 0 AND 4)
);
INSERT INTO currencies (code, exponent) VALUES ('USD', 2), ('EUR', 2), ('COP', 2);

CREATE SEQUENCE account_number_seq START 10000001;

CREATE TABLE accounts (
    id          uuid PRIMARY KEY,
    number      text NOT NULL UNIQUE,
    user_id     uuid REFERENCES users (id),
    -- customer accounts belong to a user; cash is where deposits come from and withdrawals go to.
    kind        text NOT NULL DEFAULT 'customer' CHECK (kind IN ('customer', 'cash')),
    currency    char(3) NOT NULL REFERENCES currencies (code),
    status      text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'frozen', 'closed')),
    balance     bigint NOT NULL DEFAULT 0,
    -- Sum of the active holds: money reserved by transfers in flight.
    held        bigint NOT NULL DEFAULT 0 CHECK (held >= 0),
    -- The operation that opened the account (workflow id and step): makes opening idempotent.
    opened_by   text UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT accounts_owner CHECK ((kind = 'customer') = (user_id IS NOT NULL)),
    CONSTRAINT accounts_customer_balance_non_negative CHECK (kind <> 'customer' OR balance >= 0),
    CONSTRAINT accounts_customer_available_non_negative CHECK (kind <> 'customer' OR balance - held >= 0)
);
CREATE INDEX accounts_user_id_idx ON accounts (user_id);
CREATE UNIQUE INDEX accounts_one_cash_per_currency ON accounts (currency) WHERE kind = 'cash';

INSERT INTO accounts (id, number, kind, currency)
SELECT gen_random_uuid(), 'CASH-' || code, 'cash', code FROM currencies;

-- A transfer between two accounts; deposits and withdrawals are transfers against the cash account.
CREATE TABLE transfers (
    id               uuid PRIMARY KEY,
    kind             text NOT NULL CHECK (kind IN ('transfer', 'deposit', 'withdrawal')),
    initiated_by     uuid NOT NULL REFERENCES users (id),
    from_account_id  uuid NOT NULL REFERENCES accounts (id),
    to_account_id    uuid NOT NULL REFERENCES accounts (id),
    amount           bigint NOT NULL CHECK (amount > 0),
    currency         char(3) NOT NULL REFERENCES currencies (code),
    description      text NOT NULL DEFAULT '',
    status           text NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'completed', 'failed', 'compensated')),
    failure_code     text,
    failure_reason   text,
    workflow_id      text NOT NULL UNIQUE,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    completed_at     timestamptz,
    CONSTRAINT transfers_distinct_accounts CHECK (from_account_id <> to_account_id)
);
CREATE INDEX transfers_initiated_by_idx ON transfers (initiated_by, created_at DESC);
CREATE INDEX transfers_from_daily_idx ON transfers (from_account_id, created_at);
CREATE INDEX transfers_to_idx ON transfers (to_account_id, created_at);

-- The timeline of a transfer: one row per step and outcome, written in the step's own transaction.
CREATE TABLE transfer_steps (
    transfer_id  uuid NOT NULL REFERENCES transfers (id),
    name         text NOT NULL,
    status       text NOT NULL CHECK (status IN ('ok', 'failed')),
    detail       text NOT NULL DEFAULT '',
    at           timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (transfer_id, name)
);

-- Money reserved on an account for one transfer. At most one hold per transfer.
CREATE TABLE holds (
    id           uuid PRIMARY KEY,
    transfer_id  uuid NOT NULL UNIQUE REFERENCES transfers (id),
    account_id   uuid NOT NULL REFERENCES accounts (id),
    amount       bigint NOT NULL CHECK (amount > 0),
    status       text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'captured', 'voided', 'expired')),
    expires_at   timestamptz NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    released_at  timestamptz
);
CREATE INDEX holds_active_expiry_idx ON holds (expires_at) WHERE status = 'active';

-- One balanced movement of money. operation_id (workflow id and step) makes posting idempotent.
CREATE TABLE ledger_transactions (
    id            uuid PRIMARY KEY,
    operation_id  text NOT NULL UNIQUE,
    transfer_id   uuid REFERENCES transfers (id),
    description   text NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE postings (
    id              bigserial PRIMARY KEY,
    transaction_id  uuid NOT NULL REFERENCES ledger_transactions (id),
    account_id      uuid NOT NULL REFERENCES accounts (id),
    amount          bigint NOT NULL CHECK (amount <> 0),
    currency        char(3) NOT NULL REFERENCES currencies (code),
    balance_after   bigint NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    -- At most one leg per account and transaction.
    CONSTRAINT postings_one_leg_per_account UNIQUE (transaction_id, account_id)
);
CREATE INDEX postings_account_history_idx ON postings (account_id, created_at DESC, id DESC);

-- Every transaction's postings sum to zero per currency, checked when the transaction commits.
CREATE FUNCTION postings_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (
        SELECT 1 FROM postings
        WHERE transaction_id = NEW.transaction_id
        GROUP BY currency
        HAVING sum(amount) <> 0
    ) THEN
        RAISE EXCEPTION 'ledger transaction % is not balanced', NEW.transaction_id
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END;
$$;

CREATE CONSTRAINT TRIGGER postings_balanced
    AFTER INSERT ON postings
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION postings_balanced();

-- Postings are history: never changed, never removed.
CREATE FUNCTION postings_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'postings are append-only' USING ERRCODE = 'restrict_violation';
END;
$$;

CREATE TRIGGER postings_immutable
    BEFORE UPDATE OR DELETE ON postings
    FOR EACH ROW EXECUTE FUNCTION postings_immutable();

-- Idempotency keys of money-moving requests, scoped per user and kept at least 24 hours.
CREATE TABLE idempotency_keys (
    user_id        uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    key            text NOT NULL,
    request_hash   bytea NOT NULL,
    status_code    integer,
    response_body  bytea,
    location       text,
    locked_at      timestamptz NOT NULL DEFAULT now(),
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, key)
);
CREATE INDEX idempotency_keys_created_at_idx ON idempotency_keys (created_at);
