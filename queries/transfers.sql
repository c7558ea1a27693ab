-- name: CreateTransfer :one
-- Idempotent by id (derived from the caller and the Idempotency-Key).
INSERT INTO transfers (id, kind, initiated_by, from_account_id, to_account_id, amount, currency,
                       description, workflow_id)
VALUES (@id, @kind, @initiated_by, @from_account_id, @to_account_id, @amount, @currency,
        @description, @workflow_id)
ON CONFLICT (id) DO NOTHING
RETURNING *;

-- name: GetTransfer :one
SELECT * FROM transfers WHERE id = $1;

-- name: GetTransferForUpdate :one
-- Locks a transfer's row, after its accounts' (the order every writer uses): placing its hold and
-- failing it are serialised by this lock, so that no hold is placed for a transfer that has ended.
SELECT * FROM transfers WHERE id = $1 FOR NO KEY UPDATE;

-- name: GetVisibleTransfer :one
-- A transfer is visible whole to whoever started it. The other party (the owner of an account it
-- touches) sees it only once it completed: nothing of a transfer that moved no money. Both accounts
-- come with their numbers and owners: a party is shown the other's account by number only.
SELECT sqlc.embed(t),
       fa.number AS from_number, fa.user_id AS from_user_id,
       ta.number AS to_number, ta.user_id AS to_user_id
FROM transfers t
JOIN accounts fa ON fa.id = t.from_account_id
JOIN accounts ta ON ta.id = t.to_account_id
WHERE t.id = @id AND (
    t.initiated_by = @user_id
    OR (t.status = @completed AND EXISTS (
        SELECT 1 FROM accounts a
        WHERE a.id IN (t.from_account_id, t.to_account_id) AND a.user_id = @user_id)));

-- name: ListVisibleTransfers :many
-- Newest first, keyset-paginated on (created_at, id); visible and shown as by GetVisibleTransfer.
SELECT sqlc.embed(t),
       fa.number AS from_number, fa.user_id AS from_user_id,
       ta.number AS to_number, ta.user_id AS to_user_id
FROM transfers t
JOIN accounts fa ON fa.id = t.from_account_id
JOIN accounts ta ON ta.id = t.to_account_id
WHERE (t.initiated_by = @user_id
       OR (t.status = @completed
           AND (t.from_account_id IN (SELECT id FROM accounts WHERE user_id = @user_id)
                OR t.to_account_id IN (SELECT id FROM accounts WHERE user_id = @user_id))))
  AND (sqlc.narg('before_created_at')::timestamptz IS NULL
       OR (t.created_at, t.id) < (sqlc.narg('before_created_at')::timestamptz, sqlc.narg('before_id')::uuid))
ORDER BY t.created_at DESC, t.id DESC
LIMIT @page_size;

-- name: AddTransferStep :exec
INSERT INTO transfer_steps (transfer_id, name, status, detail)
VALUES (@transfer_id, @name, @status, @detail)
ON CONFLICT (transfer_id, name) DO NOTHING;

-- name: ListTransferSteps :many
SELECT * FROM transfer_steps WHERE transfer_id = $1 ORDER BY at, name;

-- name: SumOutgoingSince :one
-- Money sent from an account since a moment by transfers that did not fail, this one excluded.
SELECT COALESCE(sum(amount), 0)::bigint FROM transfers
WHERE from_account_id = @account_id AND created_at >= @since AND id <> @exclude_id
  AND status IN (@pending, @completed);

-- name: ListStalledTransfers :many
-- Pending transfers older than a moment: normally their workflow is running; if it never started
-- (the API stopped between recording and starting it), the worker starts it.
SELECT t.id, t.kind, t.initiated_by, t.from_account_id, t.to_account_id, t.amount, t.currency, c.exponent,
       fa.number AS from_number, fa.user_id AS from_user_id,
       ta.number AS to_number, ta.user_id AS to_user_id
FROM transfers t
JOIN currencies c ON c.code = t.currency
JOIN accounts fa ON fa.id = t.from_account_id
JOIN accounts ta ON ta.id = t.to_account_id
WHERE t.status = @pending AND t.created_at < @older_than AND t.created_at > @newer_than
ORDER BY t.created_at LIMIT @max_rows;

-- name: ListPendingTransfersOfAccount :many
-- The transfers still pending that take money out of an account or, with incoming, put money into it,
-- oldest first.
SELECT id FROM transfers
WHERE status = @pending
  AND (from_account_id = @account_id OR (@incoming::boolean AND to_account_id = @account_id))
ORDER BY created_at LIMIT @max_rows;

-- name: ListTransfersEndedWith :many
-- The transfers into or out of an account that ended with a code since a moment, oldest first.
SELECT id FROM transfers
WHERE (from_account_id = @account_id OR to_account_id = @account_id)
  AND failure_code = @code AND completed_at >= @since
ORDER BY completed_at LIMIT @max_rows;

-- name: NotifyTransferFinished :exec
-- Tells listeners (API requests waiting on the transfer) at commit that it has ended.
SELECT pg_notify('transfer_finished', @transfer_id::text);

-- name: GetTransferParties :one
-- A transfer with what its notifications need: both account numbers, their owners (none for the
-- cash account) and the currency's number of decimals.
SELECT t.*, c.exponent,
       fa.number AS from_number, fu.id AS from_user_id,
       ta.number AS to_number, tu.id AS to_user_id
FROM transfers t
JOIN currencies c ON c.code = t.currency
JOIN accounts fa ON fa.id = t.from_account_id
LEFT JOIN users fu ON fu.id = fa.user_id
JOIN accounts ta ON ta.id = t.to_account_id
LEFT JOIN users tu ON tu.id = ta.user_id
WHERE t.id = $1;
