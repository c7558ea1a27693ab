-- name: CreateOperation :one
INSERT INTO operations (id, kind, workflow_id, user_id)
VALUES (@id, @kind, @workflow_id, @user_id)
RETURNING *;

-- name: GetOperation :one
SELECT * FROM operations WHERE id = $1;
