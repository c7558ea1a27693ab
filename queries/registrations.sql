-- name: CreateRegistration :exec
INSERT INTO registrations (id, email, password_hash, full_name, phone, currency)
VALUES (@id, @email, @password_hash, @full_name, @phone, @currency);

-- name: GetRegistration :one
SELECT * FROM registrations WHERE id = $1;

-- name: DeleteRegistration :exec
DELETE FROM registrations WHERE id = $1;
