-- Seal the ledger: the database itself refuses a posting in the wrong currency, a posting or a
-- balance that disagrees with the account's history, and any change to that history.
--
-- Errors raised here, by SQLSTATE and the constraint name the error carries:
--   23503 foreign_key_violation  postings_account_currency_fkey: a posting whose currency is not
--                                its account's
--   23514 check_violation        postings_follow_history: a balance_after that is not the previous
--                                posting's plus the amount; accounts_balance_follows_postings: a
--                                posting whose balance_after is not its account's balance (the
--                                balance is updated first), or, at commit, a balance that is not its
--                                latest posting's balance_after; accounts_open_with_postings: an
--                                account opened with money but no postings
--   23001 restrict_violation     *_immutable, *_no_truncate: an UPDATE, DELETE or TRUNCATE of
--                                postings or ledger_transactions
--   40001 serialization_failure  two postings of one account written out of id order (retry)
--
-- The functions pin their search_path, so that no session can shadow a table they read with a
-- temporary table of the same name.

-- Nothing writes to the ledger while it is checked and sealed.
LOCK TABLE accounts, ledger_transactions, postings IN ACCESS EXCLUSIVE MODE;

-- The existing history must already hold: each posting's balance_after is the previous posting's
-- (in id order) plus its amount, and each balance is its latest posting's balance_after.
DO $$
DECLARE
    bad record;
BEGIN
    SELECT c.id, c.account_id, c.balance_after, c.expected INTO bad
    FROM (SELECT id, account_id, balance_after,
                 COALESCE(lag(balance_after) OVER (PARTITION BY account_id ORDER BY id), 0) + amount AS expected
          FROM postings) c
    WHERE c.balance_after <> c.expected
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'posting % of account % has balance_after %, but its history gives %',
            bad.id, bad.account_id, bad.balance_after, bad.expected
            USING ERRCODE = 'check_violation';
    END IF;

    SELECT a.id, a.balance, COALESCE(p.balance_after, 0) AS expected INTO bad
    FROM accounts a
    LEFT JOIN LATERAL (SELECT balance_after FROM postings WHERE account_id = a.id ORDER BY id DESC LIMIT 1) p ON true
    WHERE a.balance <> COALESCE(p.balance_after, 0)
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'account % has balance %, but its postings end at %', bad.id, bad.balance, bad.expected
            USING ERRCODE = 'check_violation';
    END IF;
END;
$$;

-- A posting's currency is its account's (23503 otherwise). The composite key replaces the plain one.
ALTER TABLE accounts ADD CONSTRAINT accounts_id_currency_key UNIQUE (id, currency);
ALTER TABLE postings
    ADD CONSTRAINT postings_account_currency_fkey
        FOREIGN KEY (account_id, currency) REFERENCES accounts (id, currency),
    DROP CONSTRAINT postings_account_id_fkey;

-- An account's postings in the order they were written: the previous posting is one index probe.
CREATE INDEX postings_account_chain_idx ON postings (account_id, id DESC);

-- Before a posting is stored: its balance_after is the account's previous posting's balance_after
-- (0 for the first) plus its amount, and the account's balance already is that amount (a writer
-- updates the balance, then records the posting with the balance it got back), or 23514. A posting
-- without its balance update is thus refused at once; a balance update without its posting at commit.
CREATE FUNCTION postings_follow_history() RETURNS trigger
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
DECLARE
    current      bigint;
    prev_id      bigint;
    prev_balance bigint;
BEGIN
    -- One writer per account at a time: a concurrent posting of this account waits here until this
    -- transaction ends, then reads this posting as its previous one. Writers lock the accounts they
    -- move money on first (LockAccounts, in id order), so this lock is usually already held.
    SELECT balance INTO current FROM accounts WHERE id = NEW.account_id FOR NO KEY UPDATE;
    SELECT id, balance_after INTO prev_id, prev_balance
    FROM postings WHERE account_id = NEW.account_id
    ORDER BY id DESC LIMIT 1;
    IF NOT FOUND THEN
        prev_balance := 0;
    ELSIF prev_id > NEW.id THEN
        -- Its id was drawn before a posting that committed first: the history would be out of order.
        RAISE EXCEPTION 'posting % of account % was written after posting %', NEW.id, NEW.account_id, prev_id
            USING ERRCODE = 'serialization_failure';
    END IF;
    IF NEW.balance_after IS DISTINCT FROM prev_balance + NEW.amount THEN
        RAISE EXCEPTION 'posting of % on account % has balance_after %, but the account''s postings give %',
            NEW.amount, NEW.account_id, NEW.balance_after, prev_balance + NEW.amount
            USING ERRCODE = 'check_violation', CONSTRAINT = TG_NAME;
    END IF;
    -- (current is NULL for an account that does not exist: the foreign key refuses that.)
    IF current <> NEW.balance_after THEN
        RAISE EXCEPTION 'posting of % on account % has balance_after %, but the account''s balance is %',
            NEW.amount, NEW.account_id, NEW.balance_after, current
            USING ERRCODE = 'check_violation', CONSTRAINT = 'accounts_balance_follows_postings';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER postings_follow_history
    BEFORE INSERT ON postings
    FOR EACH ROW EXECUTE FUNCTION postings_follow_history();

-- At commit: an account whose balance changed has the balance its latest posting ends at (0 without
-- postings), or 23514. Together with the trigger above, every stored balance is the sum of its
-- postings.
CREATE FUNCTION accounts_balance_follows_postings() RETURNS trigger
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
DECLARE
    stored bigint;
    posted bigint;
BEGIN
    SELECT a.balance, COALESCE(p.balance_after, 0) INTO stored, posted
    FROM accounts a
    LEFT JOIN LATERAL (SELECT balance_after FROM postings WHERE account_id = a.id
                       ORDER BY id DESC LIMIT 1) p ON true
    WHERE a.id = NEW.id;
    IF FOUND AND stored <> posted THEN
        RAISE EXCEPTION 'account % has balance %, but its postings end at %', NEW.id, stored, posted
            USING ERRCODE = 'check_violation', CONSTRAINT = TG_NAME;
    END IF;
    RETURN NULL;
END;
$$;

CREATE CONSTRAINT TRIGGER accounts_balance_follows_postings
    AFTER UPDATE OF balance ON accounts
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW WHEN (OLD.balance IS DISTINCT FROM NEW.balance)
    EXECUTE FUNCTION accounts_balance_follows_postings();

CREATE CONSTRAINT TRIGGER accounts_open_with_postings
    AFTER INSERT ON accounts
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW WHEN (NEW.balance <> 0)
    EXECUTE FUNCTION accounts_balance_follows_postings();

-- The ledger's history is never changed or removed, row by row or wholesale (23001).
CREATE FUNCTION ledger_append_only() RETURNS trigger
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'restrict_violation', CONSTRAINT = TG_NAME;
END;
$$;

CREATE TRIGGER ledger_transactions_immutable
    BEFORE UPDATE OR DELETE ON ledger_transactions
    FOR EACH ROW EXECUTE FUNCTION ledger_append_only();

CREATE TRIGGER ledger_transactions_no_truncate
    BEFORE TRUNCATE ON ledger_transactions
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only();

CREATE TRIGGER postings_no_truncate
    BEFORE TRUNCATE ON postings
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only();

-- The balance check of 000002 reads postings too.
ALTER FUNCTION postings_balanced() SET search_path = public, pg_temp;
