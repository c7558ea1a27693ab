-- name: ListCurrencies :many
SELECT * FROM currencies ORDER BY code;

-- name: CreateAccount :one
-- Idempotent by opened_by (workflow id and step): a second run inserts nothing and returns no row.
-- A number another account has also inserts nothing and returns no row (rather than failing, which
-- would end the transaction this may run in): no account opened by opened_by means draw again.
INSERT INTO accounts (id, number, user_id, currency, opened_by)
VALUES (@id, @number, @user_id, @currency, @opened_by)
ON CONFLICT DO NOTHING
RETURNING *;

-- name: GetAccountByOpenedBy :one
SELECT * FROM accounts WHERE opened_by = $1;

-- name: GetAccount :one
SELECT * FROM accounts WHERE id = $1;

-- name: GetAccountByNumber :one
SELECT * FROM accounts WHERE number = $1;

-- name: GetUserAccount :one
SELECT * FROM accounts WHERE id = @id AND user_id = @user_id;

-- name: ListUserAccounts :many
-- Oldest first, keyset-paginated on (created_at, id).
SELECT * FROM accounts
WHERE user_id = @user_id
  AND (sqlc.narg('after_created_at')::timestamptz IS NULL
       OR (created_at, id) > (sqlc.narg('after_created_at')::timestamptz, sqlc.narg('after_id')::uuid))
ORDER BY created_at, id
LIMIT @page_size;

-- name: GetCashAccount :one
SELECT * FROM accounts WHERE kind = @kind AND currency = @currency;

-- name: LockAccounts :many
-- Locks the accounts in ascending id order, the one order every writer uses, so that two transfers
-- in opposite directions never deadlock. NO KEY UPDATE (balances and holds are not keys) lets the
-- foreign-key checks of concurrent inserts referencing these accounts through.
SELECT * FROM accounts WHERE id = ANY(@ids::uuid[]) ORDER BY id FOR NO KEY UPDATE;

-- name: SetAccountStatus :one
UPDATE accounts SET status = @status, updated_at = now() WHERE id = @id RETURNING *;

-- name: DeleteEmptyAccountsOfUser :execrows
-- Removes the accounts of a registration that did not finish; they never held money.
DELETE FROM accounts a
WHERE a.user_id = $1 AND a.balance = 0 AND a.on_hold = 0
  AND NOT EXISTS (SELECT 1 FROM postings p WHERE p.account_id = a.id)
  AND NOT EXISTS (SELECT 1 FROM transfers t WHERE t.from_account_id = a.id OR t.to_account_id = a.id);

-- name: GetCurrency :one
SELECT * FROM currencies WHERE code = $1;

-- name: GetAccounts :many
SELECT * FROM accounts WHERE id = ANY(@ids::uuid[]) ORDER BY id;

-- name: CountUnclosedAccounts :one
SELECT count(*) FROM accounts WHERE user_id = @user_id AND status <> @closed;
