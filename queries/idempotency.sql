-- name: ClaimIdempotencyKey :one
-- Claims a key for a request; returns no row when the key is already known.
INSERT INTO idempotency_keys (user_id, key, request_hash)
VALUES (@user_id, @key, @request_hash)
ON CONFLICT (user_id, key) DO NOTHING
RETURNING created_at;

-- name: GetIdempotencyKey :one
SELECT * FROM idempotency_keys WHERE user_id = @user_id AND key = @key;

-- name: TakeOverStaleIdempotencyKey :execrows
-- A claim whose request never answered (the process died) may be taken over after a while.
UPDATE idempotency_keys SET locked_at = now()
WHERE user_id = @user_id AND key = @key AND request_hash = @request_hash
  AND status_code IS NULL AND locked_at < @stale_before;

-- name: CompleteIdempotencyKey :exec
UPDATE idempotency_keys SET status_code = @status_code, response_body = @response_body, location = @location
WHERE user_id = @user_id AND key = @key;

-- name: ReleaseIdempotencyKey :exec
DELETE FROM idempotency_keys WHERE user_id = @user_id AND key = @key AND status_code IS NULL;

-- name: DeleteIdempotencyKeysBefore :execrows
DELETE FROM idempotency_keys WHERE created_at < $1;
