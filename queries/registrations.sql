-- name: CreateRegistration :exec
-- An empty locale is the default one (the column's).
INSERT INTO registrations (id, email, password_hash, full_name, phone, currency, locale)
VALUES (@id, @email, @password_hash, @full_name, @phone, @currency, COALESCE(NULLIF(@locale::text, ''), 'en'));

-- name: GetRegistration :one
SELECT * FROM registrations WHERE id = $1;

-- name: DeleteRegistration :exec
DELETE FROM registrations WHERE id = $1;
