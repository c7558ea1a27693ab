-- name: LockUserEventSeqs :exec
-- Takes the users' event sequences for this transaction (creating them at 0), in ascending order of
-- user id so that no two transactions wait on each other in a cycle. The rows stay locked until the
-- commit, so each user's events commit in the order of their ids.
INSERT INTO user_event_seqs (user_id)
SELECT u FROM unnest(@user_ids::uuid[]) AS u ORDER BY u
ON CONFLICT (user_id) DO UPDATE SET last_id = user_event_seqs.last_id;

-- name: InsertUserEvents :exec
-- Appends, after LockUserEventSeqs in the same transaction, each event whose key its user has not
-- had yet (once per key: an event a retried step wrote before is left as it is), numbered from the
-- user's last id on in the order given, moves each user's sequence to their last event and
-- notifies UserEventsChannel of each user given one (the payload is the user's id only), at the
-- commit. The sequences are locked, so the keys already there and the last ids are final.
WITH input AS (
    SELECT (@user_ids::uuid[])[g] AS user_id, (@keys::text[])[g] AS key, (@types::text[])[g] AS type,
           (@datas::text[])[g] AS data, g AS ord
    FROM generate_subscripts(@keys::text[], 1) AS g
), fresh AS (
    -- Scalar subqueries: one index lookup per event, whatever the size of the table.
    SELECT DISTINCT ON (i.user_id, i.key) i.user_id, i.key, i.type, i.data, i.ord
    FROM input i
    WHERE (SELECT true FROM user_events e WHERE e.user_id = i.user_id AND e.key = i.key) IS NULL
    ORDER BY i.user_id, i.key, i.ord
), numbered AS (
    SELECT f.user_id, (SELECT s.last_id FROM user_event_seqs s WHERE s.user_id = f.user_id)
               + row_number() OVER (PARTITION BY f.user_id ORDER BY f.ord) AS id,
           f.key, f.type, f.data
    FROM fresh f
), inserted AS (
    INSERT INTO user_events (user_id, id, key, type, data)
    SELECT n.user_id, n.id, n.key, n.type, n.data::jsonb FROM numbered n
    RETURNING user_id, id
), advanced AS (
    UPDATE user_event_seqs s SET last_id = (SELECT max(i.id) FROM inserted i WHERE i.user_id = s.user_id)
    WHERE s.user_id = ANY(@user_ids::uuid[]) AND EXISTS (SELECT 1 FROM inserted i WHERE i.user_id = s.user_id)
    RETURNING s.user_id
)
SELECT pg_notify(@channel::text, a.user_id::text) FROM advanced a;

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
