-- The ledger's writes: balances, holds, ledger transactions, postings and a transfer's end. They
-- are generated into db/internal/ledgersql, which only package db can import, and only the ledger's
-- transaction functions (db/tx_transfer.go) call them: no other package can move money or change a
-- hold without going through a function that keeps the ledger balanced.

-- name: PlaceAccountHold :execrows
-- Adds a hold's amount to the account's on_hold, only while the account is active and its
-- available balance (balance - on_hold) covers it; the bank's cash account may go below zero.
UPDATE accounts SET on_hold = on_hold + @amount, updated_at = now()
WHERE id = @id AND status = @active AND (kind = @cash OR balance - on_hold >= @amount);

-- name: EndAccountHold :exec
-- Takes a captured or voided hold's amount off the account's on_hold.
UPDATE accounts SET on_hold = on_hold - @amount, updated_at = now() WHERE id = @id;

-- name: AddToBalance :one
UPDATE accounts SET balance = balance + @delta, updated_at = now()
WHERE id = @id
RETURNING balance;

-- name: InsertHold :execrows
-- At most one hold per transfer: a second run inserts nothing.
INSERT INTO holds (id, transfer_id, account_id, amount, expires_at)
VALUES (@id, @transfer_id, @account_id, @amount, @expires_at)
ON CONFLICT (transfer_id) DO NOTHING;

-- name: EndHold :execrows
-- Ends an active hold as captured (the transfer posted) or voided (it did not).
UPDATE holds SET status = @status, released_at = now()
WHERE transfer_id = @transfer_id AND status = @active;

-- name: InsertLedgerTransaction :one
-- Idempotent by operation id: a second run inserts nothing and returns no row.
INSERT INTO ledger_transactions (id, operation_id, transfer_id, description)
VALUES (@id, @operation_id, @transfer_id, @description)
ON CONFLICT (operation_id) DO NOTHING
RETURNING id;

-- name: InsertPosting :exec
INSERT INTO postings (transaction_id, account_id, amount, currency, balance_after)
VALUES (@transaction_id, @account_id, @amount, @currency, @balance_after);

-- name: EndTransfer :execrows
-- Moves a pending transfer to its end state; a transfer that ended never changes again.
UPDATE transfers
SET status = @status, failure_code = @failure_code, failure_reason = @failure_reason,
    updated_at = now(), completed_at = now()
WHERE id = @id AND status = @pending;
