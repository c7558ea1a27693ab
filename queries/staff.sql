-- name: StaffListUsers :many
-- Staff's searches, like the lists below, are newest first and keyset-paginated on (created_at, id).
-- q matches the email or the name, case-insensitively, as a substring; the caller escapes LIKE's
-- wildcards in it.
SELECT * FROM users
WHERE (sqlc.narg('role')::text IS NULL OR role = sqlc.narg('role')::text)
  AND (sqlc.narg('status')::text IS NULL OR status = sqlc.narg('status')::text)
  AND (sqlc.narg('q')::text IS NULL
       OR email ILIKE '%' || sqlc.narg('q')::text || '%'
       OR full_name ILIKE '%' || sqlc.narg('q')::text || '%')
  AND (sqlc.narg('created_from')::timestamptz IS NULL OR created_at >= sqlc.narg('created_from')::timestamptz)
  AND (sqlc.narg('created_to')::timestamptz IS NULL OR created_at < sqlc.narg('created_to')::timestamptz)
  AND (sqlc.narg('before_created_at')::timestamptz IS NULL
       OR (created_at, id) < (sqlc.narg('before_created_at')::timestamptz, sqlc.narg('before_id')::uuid))
ORDER BY created_at DESC, id DESC
LIMIT @page_size;

-- name: CountLiveSessions :one
SELECT count(*) FROM sessions WHERE user_id = @user_id AND revoked_at IS NULL AND expires_at > now();

-- name: StaffListAccounts :many
SELECT * FROM accounts
WHERE (sqlc.narg('number')::text IS NULL OR number = sqlc.narg('number')::text)
  AND (sqlc.narg('user_id')::uuid IS NULL OR user_id = sqlc.narg('user_id')::uuid)
  AND (sqlc.narg('status')::text IS NULL OR status = sqlc.narg('status')::text)
  AND (sqlc.narg('currency')::text IS NULL OR currency = sqlc.narg('currency')::text)
  AND (sqlc.narg('before_created_at')::timestamptz IS NULL
       OR (created_at, id) < (sqlc.narg('before_created_at')::timestamptz, sqlc.narg('before_id')::uuid))
ORDER BY created_at DESC, id DESC
LIMIT @page_size;

-- name: ListActiveHoldsOfAccount :many
SELECT * FROM holds WHERE account_id = @account_id AND status = @active ORDER BY created_at, id;

-- name: StaffListTransfers :many
SELECT * FROM transfers
WHERE (sqlc.narg('account_id')::uuid IS NULL
       OR from_account_id = sqlc.narg('account_id')::uuid OR to_account_id = sqlc.narg('account_id')::uuid)
  AND (sqlc.narg('status')::text IS NULL OR status = sqlc.narg('status')::text)
  AND (sqlc.narg('kind')::text IS NULL OR kind = sqlc.narg('kind')::text)
  AND (sqlc.narg('created_from')::timestamptz IS NULL OR created_at >= sqlc.narg('created_from')::timestamptz)
  AND (sqlc.narg('created_to')::timestamptz IS NULL OR created_at < sqlc.narg('created_to')::timestamptz)
  AND (sqlc.narg('before_created_at')::timestamptz IS NULL
       OR (created_at, id) < (sqlc.narg('before_created_at')::timestamptz, sqlc.narg('before_id')::uuid))
ORDER BY created_at DESC, id DESC
LIMIT @page_size;

-- name: LockActiveAdmins :many
-- Locks every active admin, so that changes which could leave the bank without one are decided one
-- at a time: after a concurrent demotion commits, its admin is no longer returned here.
SELECT id FROM users WHERE role = @admin AND status = @active ORDER BY id FOR UPDATE;

-- name: GetUserForUpdate :one
SELECT * FROM users WHERE id = $1 FOR UPDATE;

-- name: SetUserRole :one
UPDATE users SET role = @role, updated_at = now() WHERE id = @id RETURNING *;

-- name: SetUserStatus :one
UPDATE users SET status = @status, updated_at = now() WHERE id = @id RETURNING *;

-- name: UnlockLogin :one
UPDATE users SET failed_logins = 0, locked_until = NULL, updated_at = now() WHERE id = @id RETURNING *;

-- name: CreatePasswordToken :exec
INSERT INTO password_tokens (token_hash, user_id, created_by, expires_at)
VALUES (@token_hash, @user_id, @created_by, @expires_at);

-- name: UsePasswordToken :one
-- Spends a token once: no row when it is unknown, spent or expired.
UPDATE password_tokens SET used_at = now()
WHERE token_hash = @token_hash AND used_at IS NULL AND expires_at > now()
RETURNING user_id;

-- name: SetInitialPassword :one
-- Sets the password of a user who has none yet, and lets them log in.
UPDATE users SET password_hash = @password_hash, status = @active, failed_logins = 0, locked_until = NULL, updated_at = now()
WHERE id = @id AND status = @pending
RETURNING *;

-- name: GetPasswordTokenUser :one
-- The user a live token belongs to, without spending it.
SELECT u.* FROM password_tokens t JOIN users u ON u.id = t.user_id
WHERE t.token_hash = @token_hash AND t.used_at IS NULL AND t.expires_at > now();
