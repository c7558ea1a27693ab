-- name: InsertEmails :exec
-- Idempotent by id: an email written by an earlier run is left as it is. Each email is its kind and
-- the JSON of what it tells (data), rendered when it is sent; a `text` email also carries its subject
-- and body. An email of a notification kind its user switched off (notification_settings) is not
-- written: the choice in force when the event is recorded decides.
INSERT INTO emails (id, user_id, kind, data, subject, body)
SELECT e.id, e.user_id, e.kind, e.data::jsonb, e.subject, e.body
FROM (SELECT unnest(@ids::text[]) AS id, unnest(@user_ids::uuid[]) AS user_id, unnest(@kinds::text[]) AS kind,
             unnest(@data::text[]) AS data, unnest(@subjects::text[]) AS subject, unnest(@bodies::text[]) AS body) e
WHERE NOT EXISTS (
    SELECT 1 FROM notification_settings s WHERE s.user_id = e.user_id AND s.kind = e.kind AND NOT s.email)
ON CONFLICT (id) DO NOTHING;

-- name: ListDueEmails :many
-- The emails due to be sent, oldest first: neither sent nor given up, and past their backoff; with
-- their recipients' addresses, names and languages as they are now.
SELECT e.id, e.kind, e.data, e.subject, e.body, e.attempts, u.email, u.full_name, u.locale
FROM emails e JOIN users u ON u.id = e.user_id
WHERE e.sent_at IS NULL AND e.failed_at IS NULL AND e.next_attempt_at <= now()
ORDER BY e.next_attempt_at, e.id
LIMIT @max_rows;

-- name: MarkEmailSent :exec
UPDATE emails SET sent_at = now(), last_error = NULL WHERE id = $1 AND sent_at IS NULL AND failed_at IS NULL;

-- name: RecordEmailRefusal :one
-- Counts a refused attempt. The email waits retry_base_seconds * 2^(attempts before), at most
-- retry_max_seconds, before its next one; a permanent refusal, or the max_attempts-th, gives it up
-- (failed_at). Returns the attempts so far and whether the email is now given up.
UPDATE emails
SET attempts = attempts + 1,
    last_error = @last_error,
    next_attempt_at = now() + interval '1 second' * LEAST(sqlc.arg(retry_max_seconds)::float8,
        sqlc.arg(retry_base_seconds)::float8 * 2.0 ^ attempts),
    failed_at = CASE WHEN sqlc.arg(permanent)::boolean OR attempts + 1 >= sqlc.arg(max_attempts)::int THEN now() END
WHERE id = @id AND sent_at IS NULL AND failed_at IS NULL
RETURNING attempts, (failed_at IS NOT NULL)::boolean AS failed;

-- name: ListUnauditedEmailFailures :many
-- Emails given up whose failure the audit log does not have yet.
SELECT e.id, e.user_id, e.kind, e.attempts, e.last_error, e.failed_at, u.email
FROM emails e JOIN users u ON u.id = e.user_id
WHERE e.failed_at IS NOT NULL AND e.failure_audited_at IS NULL
ORDER BY e.failed_at, e.id
LIMIT @max_rows;

-- name: MarkEmailFailureAudited :exec
UPDATE emails SET failure_audited_at = now() WHERE id = $1 AND failed_at IS NOT NULL AND failure_audited_at IS NULL;

-- name: ResendEmail :execrows
-- Queues a copy of an email under a new id, to go again to the user's current address, rendered in
-- their language as it is then; the same new id queues it once.
INSERT INTO emails (id, user_id, kind, data, subject, body)
SELECT @new_id, e.user_id, e.kind, e.data, e.subject, e.body FROM emails e WHERE e.id = @id AND e.user_id = @user_id
ON CONFLICT (id) DO NOTHING;
