-- name: CreateHold :one
-- At most one hold per transfer: a second run inserts nothing and returns no row.
INSERT INTO holds (id, transfer_id, account_id, amount, expires_at)
VALUES (@id, @transfer_id, @account_id, @amount, @expires_at)
ON CONFLICT (transfer_id) DO NOTHING
RETURNING *;

-- name: GetHoldByTransfer :one
SELECT * FROM holds WHERE transfer_id = $1;

-- name: ReleaseHold :one
-- Ends an active hold as captured (posted), voided (compensated) or expired.
UPDATE holds SET status = @status, released_at = now()
WHERE transfer_id = @transfer_id AND status = 'active'
RETURNING *;

-- name: ListExpiredHolds :many
SELECT * FROM holds WHERE status = 'active' AND expires_at < now() ORDER BY expires_at LIMIT $1;
