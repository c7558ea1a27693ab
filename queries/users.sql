-- name: CreateUserFromRegistration :one
-- Idempotent by registration: a second run inserts nothing and returns no row.
INSERT INTO users (id, email, password_hash, full_name, phone, registration_id, locale)
SELECT @id, r.email, r.password_hash, r.full_name, r.phone, r.id, r.locale
FROM registrations r
WHERE r.id = @registration_id
ON CONFLICT (registration_id) DO NOTHING
RETURNING *;

-- name: InsertUser :one
INSERT INTO users (id, email, password_hash, full_name, phone, role, status)
VALUES (@id, @email, @password_hash, @full_name, @phone, @role, @status)
RETURNING *;

-- name: GetUser :one
SELECT * FROM users WHERE id = $1;

-- name: GetUserByEmail :one
SELECT * FROM users WHERE email = $1;

-- name: GetUserByRegistrationID :one
SELECT * FROM users WHERE registration_id = $1;

-- name: RoleExists :one
SELECT EXISTS (SELECT 1 FROM users WHERE role = $1);

-- name: ActivateUser :execrows
UPDATE users SET status = @active, updated_at = now()
WHERE id = @id AND status = @pending;

-- name: DeletePendingUser :execrows
DELETE FROM users WHERE id = @id AND status = @pending;

-- name: UpdateProfile :one
UPDATE users
SET full_name = @full_name, phone = @phone, locale = @locale, updated_at = now()
WHERE id = @id
RETURNING *;

-- name: UpdatePasswordHash :exec
UPDATE users SET password_hash = @password_hash, updated_at = now() WHERE id = @id;

-- name: ClaimLoginAttempt :one
-- Counts a login attempt before its password is checked, in one statement that refuses (no row)
-- while the login is locked, and locks it once the count reaches the threshold: lock_base at the
-- threshold, doubling with each further attempt, at most lock_max. A burst of guesses can thus check
-- at most `threshold` passwords before the lock, however many arrive at once.
UPDATE users
SET failed_logins = failed_logins + 1,
    locked_until = CASE
        WHEN failed_logins + 1 >= sqlc.arg(threshold)::int THEN
            sqlc.arg(now)::timestamptz + interval '1 second' * LEAST(sqlc.arg(lock_max_seconds)::float8,
                sqlc.arg(lock_base_seconds)::float8 * 2.0 ^ (failed_logins + 1 - sqlc.arg(threshold)::int))
        ELSE NULL END,
    updated_at = now()
WHERE id = @id AND (locked_until IS NULL OR locked_until <= sqlc.arg(now)::timestamptz)
RETURNING failed_logins;

-- name: SucceedLogin :execrows
-- A correct password takes back its own claim, and only while the login is not locked: a lock that
-- a concurrent burst set stands, and the login is refused.
UPDATE users SET failed_logins = 0, updated_at = now()
WHERE id = @id AND (locked_until IS NULL OR locked_until <= sqlc.arg(now)::timestamptz);

-- name: ResetFailedLogins :exec
UPDATE users SET failed_logins = 0, locked_until = NULL, updated_at = now()
WHERE id = $1 AND (failed_logins <> 0 OR locked_until IS NOT NULL);

-- name: GetFirstUserWithRole :one
-- The oldest active user with a role: the first admin, for development tooling.
SELECT * FROM users WHERE role = @role AND status = @status ORDER BY created_at, id LIMIT 1;

-- name: LockUser :one
-- Serialises changes that count a user's rows, such as opening one more account.
SELECT id FROM users WHERE id = $1 FOR NO KEY UPDATE;
