-- name: LockUserEventSeq :one
-- Takes the user's event sequence for this transaction (creating it at 0) and returns its last id.
-- The row stays locked until the commit, so a user's events commit in the order of their ids.
INSERT INTO user_event_seqs (user_id) VALUES (@user_id)
ON CONFLICT (user_id) DO UPDATE SET last_id = user_event_seqs.last_id
RETURNING last_id;

-- name: InsertUserEvent :execrows
-- Once per key: an event that a retried step wrote before is left as it is (0 rows).
INSERT INTO user_events (user_id, id, key, type, data)
VALUES (@user_id, @id, @key, @type, @data::jsonb)
ON CONFLICT (user_id, key) DO NOTHING;

-- name: SetUserEventSeq :exec
UPDATE user_event_seqs SET last_id = @last_id WHERE user_id = @user_id;

-- name: NotifyUserEvents :exec
-- Wakes every API process's sockets of the user at the commit. The payload is the user's id only.
SELECT pg_notify(@channel::text, @user_id::text);

-- name: ListUserEventsAfter :many
-- A user's events after the id they last saw, oldest first.
SELECT id, type, data, created_at FROM user_events
WHERE user_id = @user_id AND id > @after_id
ORDER BY id
LIMIT @max_rows;

-- name: LastUserEventID :one
-- The last id given to one of the user's events; 0 before their first.
SELECT COALESCE((SELECT last_id FROM user_event_seqs WHERE user_id = @user_id), 0)::bigint AS last_id;

-- name: DeleteUserEventsBefore :execrows
-- Forgets up to max_rows events written before the cutoff, oldest first.
DELETE FROM user_events WHERE (user_id, id) IN (
    SELECT e.user_id, e.id FROM user_events e WHERE e.created_at < @before ORDER BY e.created_at LIMIT @max_rows
);
