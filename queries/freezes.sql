-- name: NextFreezeSeq :one
-- The number of the account's next freeze. Read under the account's lock, so two requests cannot draw
-- the same one.
SELECT (COALESCE(max(seq), 0) + 1)::integer AS seq FROM freezes WHERE account_id = @account_id;

-- name: CreateFreeze :one
INSERT INTO freezes (id, account_id, seq, reason, note, scope, frozen_by, until, workflow_id)
VALUES (@id, @account_id, @seq, @reason, @note, @scope, @frozen_by, sqlc.narg('until'), @workflow_id)
RETURNING *;

-- name: GetFreeze :one
SELECT * FROM freezes WHERE id = $1;

-- name: GetFreezeForUpdate :one
SELECT * FROM freezes WHERE id = $1 FOR UPDATE;

-- name: GetOpenFreeze :one
-- The account's freeze that stands or is being applied, if any.
SELECT * FROM freezes WHERE account_id = @account_id AND status IN (@pending, @active) FOR UPDATE;

-- name: GetLatestFreeze :one
SELECT * FROM freezes WHERE account_id = @account_id ORDER BY seq DESC LIMIT 1;

-- name: GetFreezeView :one
-- A freeze with the number and owner of its account.
SELECT f.*, a.number AS account_number, a.user_id AS account_user_id
FROM freezes f JOIN accounts a ON a.id = f.account_id
WHERE f.id = $1;

-- name: ActivateFreeze :one
-- Puts a pending freeze in force, now, recording the account's balance.
UPDATE freezes SET status = @active, frozen_at = now(), balance_at_freeze = @balance
WHERE id = @id AND status = @pending
RETURNING *;

-- name: EndFreeze :one
-- Ends an active freeze: by an admin (ended_by), or by itself once its end has come (due; the
-- database's clock decides). No row when it is not active, or not yet due.
UPDATE freezes SET status = @ended, ended_at = now(), ended_by = sqlc.narg('ended_by'), end_note = @end_note
WHERE id = @id AND status = @active
  AND (sqlc.narg('ended_by')::uuid IS NOT NULL OR (until IS NOT NULL AND until <= now()))
RETURNING *;

-- name: FailFreeze :one
-- Ends a freeze that could not be put in force or carried through; no row when it had already ended.
UPDATE freezes SET status = @failed, ended_at = now(), failure_code = @failure_code
WHERE id = @id AND status IN (@pending, @active)
RETURNING *;

-- name: GetActiveFreezeScope :one
SELECT scope FROM freezes WHERE account_id = @account_id AND status = @active;

-- name: ListActiveFreezes :many
-- The freezes in force on some accounts.
SELECT * FROM freezes WHERE account_id = ANY(@account_ids::uuid[]) AND status = @active;

-- name: ListAccountFreezes :many
-- An account's freezes, newest first, keyset-paginated on (created_at, id).
SELECT * FROM freezes
WHERE account_id = @account_id
  AND (sqlc.narg('before_created_at')::timestamptz IS NULL
       OR (created_at, id) < (sqlc.narg('before_created_at')::timestamptz, sqlc.narg('before_id')::uuid))
ORDER BY created_at DESC, id DESC
LIMIT @page_size;

-- name: GetCurrentFreeze :one
-- The account's freeze that stands or is being applied, if any, for reading.
SELECT * FROM freezes WHERE account_id = @account_id AND status IN (@pending, @active);
