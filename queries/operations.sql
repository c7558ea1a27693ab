-- name: CreateOperation :exec
INSERT INTO operations (id, kind, workflow_id, user_id)
VALUES (@id, @kind, @workflow_id, @user_id)
ON CONFLICT (id) DO NOTHING;

-- name: GetOperation :one
SELECT * FROM operations WHERE id = $1;
