-- name: ReportTransactions :many
-- Money movements per period and currency. Periods are cut in the time zone tz on its calendar
-- (a day across a daylight-saving change is 23 or 25 hours), the first and last clamped to
-- [from_time, to_time); every period appears for every currency, with zeros when nothing happened.
-- A movement counts in the period it was requested in. Active customers are the distinct owners of
-- customer accounts on either side of a completed movement.
-- The movements of [from_time, to_time) are read once, by a range of transfers_created_at_idx,
-- each put in its period by its local time (the period's start is its time truncated to the unit,
-- as the periods are cut), then summed and matched to their accounts: the cost follows the
-- movements in the range, not the table.
WITH periods AS MATERIALIZED (
    SELECT p AS local_start,
           greatest(p AT TIME ZONE sqlc.arg(tz)::text, sqlc.arg(from_time)::timestamptz) AS start_at,
           least((p + (sqlc.arg(step)::text)::interval) AT TIME ZONE sqlc.arg(tz)::text, sqlc.arg(to_time)::timestamptz) AS end_at
    FROM generate_series(
        date_trunc(sqlc.arg(unit)::text, sqlc.arg(from_time)::timestamptz AT TIME ZONE sqlc.arg(tz)::text),
        (sqlc.arg(to_time)::timestamptz AT TIME ZONE sqlc.arg(tz)::text) - interval '1 microsecond',
        (sqlc.arg(step)::text)::interval) p
),
moves AS MATERIALIZED (
    SELECT date_trunc(sqlc.arg(unit)::text, t.created_at AT TIME ZONE sqlc.arg(tz)::text) AS local_start,
           t.currency, t.kind, t.status, t.amount, t.from_account_id, t.to_account_id
    FROM transfers t
    WHERE t.created_at >= sqlc.arg(from_time)::timestamptz AND t.created_at < sqlc.arg(to_time)::timestamptz
),
totals AS (
    SELECT m.local_start, m.currency,
           count(*) FILTER (WHERE m.kind = sqlc.arg(transfer)::text AND m.status = sqlc.arg(completed)::text) AS transfers,
           sum(m.amount) FILTER (WHERE m.kind = sqlc.arg(transfer)::text AND m.status = sqlc.arg(completed)::text) AS transfer_volume,
           count(*) FILTER (WHERE m.kind = sqlc.arg(deposit)::text AND m.status = sqlc.arg(completed)::text) AS deposits,
           sum(m.amount) FILTER (WHERE m.kind = sqlc.arg(deposit)::text AND m.status = sqlc.arg(completed)::text) AS deposit_volume,
           count(*) FILTER (WHERE m.kind = sqlc.arg(withdrawal)::text AND m.status = sqlc.arg(completed)::text) AS withdrawals,
           sum(m.amount) FILTER (WHERE m.kind = sqlc.arg(withdrawal)::text AND m.status = sqlc.arg(completed)::text) AS withdrawal_volume,
           count(*) FILTER (WHERE m.status = sqlc.arg(failed)::text) AS failed,
           count(*) FILTER (WHERE m.status = sqlc.arg(compensated)::text) AS compensated
    FROM moves m
    GROUP BY m.local_start, m.currency
),
sides AS (
    SELECT m.local_start, m.currency, m.from_account_id AS account_id FROM moves m WHERE m.status = sqlc.arg(completed)::text
    UNION ALL
    SELECT m.local_start, m.currency, m.to_account_id AS account_id FROM moves m WHERE m.status = sqlc.arg(completed)::text
),
active AS (
    SELECT s.local_start, s.currency, count(DISTINCT a.user_id) AS customers
    FROM sides s
    JOIN accounts a ON a.id = s.account_id
    WHERE a.kind = sqlc.arg(customer)::text
    GROUP BY s.local_start, s.currency
)
SELECT to_char(per.local_start, 'YYYY-MM-DD"T"HH24:MI:SS')::text AS local_start, per.start_at::timestamptz AS start_at, per.end_at::timestamptz AS end_at,
       c.code AS currency,
       COALESCE(tt.transfers, 0)::bigint AS transfers,
       COALESCE(tt.transfer_volume, 0)::bigint AS transfer_volume,
       COALESCE(tt.deposits, 0)::bigint AS deposits,
       COALESCE(tt.deposit_volume, 0)::bigint AS deposit_volume,
       COALESCE(tt.withdrawals, 0)::bigint AS withdrawals,
       COALESCE(tt.withdrawal_volume, 0)::bigint AS withdrawal_volume,
       COALESCE(tt.failed, 0)::bigint AS failed,
       COALESCE(tt.compensated, 0)::bigint AS compensated,
       COALESCE(ac.customers, 0)::bigint AS active_customers
FROM periods per
CROSS JOIN currencies c
LEFT JOIN totals tt ON tt.local_start = per.local_start AND tt.currency = c.code
LEFT JOIN active ac ON ac.local_start = per.local_start AND ac.currency = c.code
ORDER BY per.local_start, c.code;

-- name: ReportAccountsByStatus :many
-- Customer accounts by currency and status, with their balances and the funds held on them.
SELECT currency, status, count(*) AS accounts, COALESCE(sum(balance), 0)::bigint AS balance,
       COALESCE(sum(on_hold), 0)::bigint AS on_hold
FROM accounts WHERE kind = @customer
GROUP BY currency, status
ORDER BY currency, status;

-- name: ReportLedgerTotals :many
-- Per currency: what customers hold, what is held for transfers in progress, and the cash account's
-- balance, which the ledger keeps at minus the customers' total (money enters only through it).
SELECT c.code AS currency,
       COALESCE(sum(a.balance) FILTER (WHERE a.kind = @customer), 0)::bigint AS customer_balance,
       COALESCE(sum(a.on_hold) FILTER (WHERE a.kind = @customer), 0)::bigint AS customer_on_hold,
       COALESCE(sum(a.balance) FILTER (WHERE a.kind = @cash), 0)::bigint AS cash_balance
FROM currencies c LEFT JOIN accounts a ON a.currency = c.code
GROUP BY c.code
ORDER BY c.code;

-- name: ReportFrozenAccounts :many
-- The accounts frozen now, with why, since when and until when.
SELECT a.id AS account_id, a.number, a.currency, a.balance, f.reason, f.scope, f.frozen_at, f.until
FROM freezes f JOIN accounts a ON a.id = f.account_id
WHERE f.status = @active
ORDER BY f.frozen_at, a.id;
