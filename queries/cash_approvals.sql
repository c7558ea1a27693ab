-- name: CreateCashApproval :one
-- Idempotent by id (derived from the requesting admin and the Idempotency-Key). It expires
-- ttl_seconds after now, by the clock of the database, which takes every decision.
INSERT INTO cash_approvals (id, kind, account_id, amount, currency, description, requested_by,
                            workflow_id, expires_at)
VALUES (@id, @kind, @account_id, @amount, @currency, @description, @requested_by, @workflow_id,
        now() + make_interval(0, 0, 0, 0, 0, 0, @ttl_seconds::float8))
ON CONFLICT (id) DO NOTHING
RETURNING *;

-- name: GetCashApproval :one
SELECT * FROM cash_approvals WHERE id = $1;

-- name: GetCashApprovalForUpdate :one
SELECT * FROM cash_approvals WHERE id = $1 FOR UPDATE;

-- name: GetCashApprovalView :one
-- An approval with the number and owner of its account.
SELECT ca.*, a.number AS account_number, a.user_id AS account_user_id
FROM cash_approvals ca JOIN accounts a ON a.id = ca.account_id
WHERE ca.id = $1;

-- name: ListPendingCashApprovals :many
-- The queue of approvers: approvals still pending and not expired, oldest (soonest to expire) first,
-- keyset-paginated on (created_at, id).
SELECT ca.*, a.number AS account_number, a.user_id AS account_user_id
FROM cash_approvals ca JOIN accounts a ON a.id = ca.account_id
WHERE ca.status = @pending AND ca.expires_at > now()
  AND (sqlc.narg('after_created_at')::timestamptz IS NULL
       OR (ca.created_at, ca.id) > (sqlc.narg('after_created_at')::timestamptz, sqlc.narg('after_id')::uuid))
ORDER BY ca.created_at, ca.id
LIMIT @page_size;

-- name: DecideCashApproval :one
-- The decision, taken once: only a pending approval that has not expired changes, and only by an
-- admin who neither asked for it nor owns its account. No row means it was not so.
UPDATE cash_approvals ca
SET status = @decision, decided_by = @admin_id::uuid, decided_at = now()
WHERE ca.id = @id AND ca.status = @pending AND ca.expires_at > now() AND ca.requested_by <> @admin_id
  AND NOT EXISTS (SELECT 1 FROM accounts a WHERE a.id = ca.account_id AND a.user_id = @admin_id)
RETURNING ca.*;

-- name: ExpireCashApproval :one
-- Ends a pending approval past its expiry; no row when it was decided or has not expired yet.
UPDATE cash_approvals
SET status = @expired, decided_at = now()
WHERE id = @id AND status = @pending AND expires_at <= now()
RETURNING *;

-- name: LinkCashApprovalTransfer :execrows
UPDATE cash_approvals SET transfer_id = @transfer_id
WHERE id = @id AND status = @approved AND transfer_id IS NULL;

-- name: LockAdminCashDay :exec
-- Serialises the cash requests of one admin until the transaction ends, so that the sum of their day and
-- the request recorded after it are exact.
SELECT pg_advisory_xact_lock(hashtextextended(CAST(sqlc.arg(admin_id) AS uuid)::text, 72016003));

-- name: SumAdminCashSince :one
-- What an admin has moved or asked to move in cash in one currency since a moment: their deposits
-- and withdrawals that did not fail, and their approvals still pending (and not expired) or
-- approved. The transfer an approval started counts once, with its approval, unless it failed.
SELECT LEAST(
    COALESCE((SELECT sum(t.amount) FROM transfers t
              WHERE t.initiated_by = @admin_id AND t.currency = @currency AND t.created_at >= @since
                AND t.kind IN (@deposit, @withdrawal) AND t.status IN (@pending, @completed)
                AND NOT EXISTS (SELECT 1 FROM cash_approvals x WHERE x.transfer_id = t.id)), 0)
  + COALESCE((SELECT sum(ca.amount) FROM cash_approvals ca
              WHERE ca.requested_by = @admin_id AND ca.currency = @currency AND ca.created_at >= @since
                AND ((ca.status = @approval_pending AND ca.expires_at > now())
                     OR (ca.status = @approved AND NOT EXISTS (
                         SELECT 1 FROM transfers t WHERE t.id = ca.transfer_id
                           AND t.status NOT IN (@pending, @completed))))), 0),
    9223372036854775807)::bigint AS used;
