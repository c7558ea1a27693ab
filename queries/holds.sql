-- name: GetHoldByTransfer :one
SELECT * FROM holds WHERE transfer_id = $1;

-- name: ListExpiredHolds :many
SELECT * FROM holds WHERE status = @active AND expires_at < now() ORDER BY expires_at LIMIT @max_rows;
