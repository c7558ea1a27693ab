-- name: InsertEmails :exec
-- Idempotent by id: an email written by an earlier run is left as it is.
INSERT INTO emails (id, user_id, subject, body)
SELECT unnest(@ids::text[]), unnest(@user_ids::uuid[]), unnest(@subjects::text[]), unnest(@bodies::text[])
ON CONFLICT (id) DO NOTHING;

-- name: ListUnsentEmails :many
-- The oldest emails not sent yet, with their recipients' addresses and names as they are now.
SELECT e.id, e.subject, e.body, u.email, u.full_name
FROM emails e JOIN users u ON u.id = e.user_id
WHERE e.sent_at IS NULL
ORDER BY e.created_at, e.id
LIMIT @max_rows;

-- name: MarkEmailSent :exec
UPDATE emails SET sent_at = now() WHERE id = $1 AND sent_at IS NULL;

-- name: ResendEmail :execrows
-- Queues a copy of an email under a new id, to go again to the user's current address; the same
-- new id queues it once.
INSERT INTO emails (id, user_id, subject, body)
SELECT @new_id, e.user_id, e.subject, e.body FROM emails e WHERE e.id = @id AND e.user_id = @user_id
ON CONFLICT (id) DO NOTHING;
