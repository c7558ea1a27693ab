-- name: CreateUserFromRegistration :one
-- Idempotent by registration: a second run inserts nothing and returns no row.
INSERT INTO users (id, email, password_hash, full_name, phone, registration_id)
SELECT @id, r.email, r.password_hash, r.full_name, r.phone, r.id
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

-- name: EmailExists :one
SELECT EXISTS (SELECT 1 FROM users WHERE email = $1);

-- name: RoleExists :one
SELECT EXISTS (SELECT 1 FROM users WHERE role = $1);

-- name: ActivateUser :execrows
UPDATE users SET status = @active, updated_at = now()
WHERE id = @id AND status = @pending;

-- name: DeletePendingUser :execrows
DELETE FROM users WHERE id = @id AND status = @pending;

-- name: UpdateProfile :one
UPDATE users
SET full_name = @full_name, phone = @phone, updated_at = now()
WHERE id = @id
RETURNING *;

-- name: UpdatePasswordHash :exec
UPDATE users SET password_hash = @password_hash, updated_at = now() WHERE id = @id;

-- name: RecordFailedLogin :one
UPDATE users SET failed_logins = failed_logins + 1, updated_at = now()
WHERE id = $1
RETURNING failed_logins;

-- name: LockLogin :exec
UPDATE users SET locked_until = @locked_until, updated_at = now() WHERE id = @id;

-- name: ResetFailedLogins :exec
UPDATE users SET failed_logins = 0, locked_until = NULL, updated_at = now()
WHERE id = $1 AND (failed_logins <> 0 OR locked_until IS NOT NULL);

-- name: GetFirstUserWithRole :one
-- The oldest active user with a role: the first admin, for development tooling.
SELECT * FROM users WHERE role = @role AND status = @status ORDER BY created_at, id LIMIT 1;
