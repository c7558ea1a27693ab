-- name: CreateSession :one
INSERT INTO sessions (id, user_id, user_agent, ip, expires_at)
VALUES (@id, @user_id, @user_agent, @ip, @expires_at)
RETURNING *;

-- name: GetSessionPrincipal :one
-- The principal behind an access token: a live session of an active user.
SELECT u.id AS user_id, u.role, u.email, s.id AS session_id, s.expires_at
FROM sessions s
JOIN users u ON u.id = s.user_id
WHERE s.id = @session_id
  AND s.user_id = @user_id
  AND s.revoked_at IS NULL
  AND s.expires_at > now()
  AND u.status = @active;

-- name: RevokeSession :execrows
UPDATE sessions SET revoked_at = now(), revoke_reason = @reason
WHERE id = @id AND revoked_at IS NULL;

-- name: RevokeUserSessions :execrows
UPDATE sessions SET revoked_at = now(), revoke_reason = @reason
WHERE user_id = @user_id AND revoked_at IS NULL;

-- name: RevokeOtherSessions :execrows
UPDATE sessions SET revoked_at = now(), revoke_reason = @reason
WHERE user_id = @user_id AND id <> @keep_session_id AND revoked_at IS NULL;

-- name: CreateRefreshToken :exec
INSERT INTO refresh_tokens (token_hash, session_id, expires_at)
VALUES (@token_hash, @session_id, @expires_at);

-- name: UseRefreshToken :one
-- Marks a refresh token used. Only one caller can win; a token already used is a reuse.
UPDATE refresh_tokens rt
SET used_at = now()
FROM sessions s
WHERE rt.token_hash = @token_hash
  AND rt.used_at IS NULL
  AND rt.expires_at > now()
  AND s.id = rt.session_id
  AND s.revoked_at IS NULL
RETURNING rt.session_id, s.user_id;

-- name: GetRefreshToken :one
SELECT rt.*, s.user_id FROM refresh_tokens rt JOIN sessions s ON s.id = rt.session_id
WHERE rt.token_hash = $1;
