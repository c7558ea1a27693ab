-- name: ReportTransactions :many
-- Money movements per period and currency. Periods are cut in the time zone tz on its calendar
-- (a day across a daylight-saving change is 23 or 25 hours), the first and last clamped to
-- [from_time, to_time); every period appears for every currency, with zeros when nothing happened.
-- A movement counts in the period it was requested in. Active customers are the distinct owners of
-- customer accounts on either side of a completed movement.
WITH periods AS (
    SELECT p AS local_start,
           greatest(p AT TIME ZONE sqlc.arg(tz)::text, sqlc.arg(from_time)::timestamptz) AS start_at,
           least((p + (sqlc.arg(step)::text)::interval) AT TIME ZONE sqlc.arg(tz)::text, sqlc.arg(to_time)::timestamptz) AS end_at
    FROM generate_series(
        date_trunc(sqlc.arg(unit)::text, sqlc.arg(from_time)::timestamptz AT TIME ZONE sqlc.arg(tz)::text),
        (sqlc.arg(to_time)::timestamptz AT TIME ZONE sqlc.arg(tz)::text) - interval '1 microsecond',
        (sqlc.arg(step)::text)::interval) p
),
moved AS (
    SELECT per.local_start, t.currency, a.user_id
    FROM periods per
    JOIN transfers t ON t.created_at >= per.start_at AND t.created_at < per.end_at AND t.status = sqlc.arg(completed)::text
    JOIN accounts a ON a.id IN (t.from_account_id, t.to_account_id) AND a.kind = sqlc.arg(customer)::text
)
SELECT to_char(per.local_start, 'YYYY-MM-DD"T"HH24:MI:SS')::text AS local_start, per.start_at::timestamptz AS start_at, per.end_at::timestamptz AS end_at,
       c.code AS currency,
       count(t.id) FILTER (WHERE t.kind = sqlc.arg(transfer)::text AND t.status = sqlc.arg(completed)::text) AS transfers,
       COALESCE(sum(t.amount) FILTER (WHERE t.kind = sqlc.arg(transfer)::text AND t.status = sqlc.arg(completed)::text), 0)::bigint AS transfer_volume,
       count(t.id) FILTER (WHERE t.kind = sqlc.arg(deposit)::text AND t.status = sqlc.arg(completed)::text) AS deposits,
       COALESCE(sum(t.amount) FILTER (WHERE t.kind = sqlc.arg(deposit)::text AND t.status = sqlc.arg(completed)::text), 0)::bigint AS deposit_volume,
       count(t.id) FILTER (WHERE t.kind = sqlc.arg(withdrawal)::text AND t.status = sqlc.arg(completed)::text) AS withdrawals,
       COALESCE(sum(t.amount) FILTER (WHERE t.kind = sqlc.arg(withdrawal)::text AND t.status = sqlc.arg(completed)::text), 0)::bigint AS withdrawal_volume,
       count(t.id) FILTER (WHERE t.status = sqlc.arg(failed)::text) AS failed,
       count(t.id) FILTER (WHERE t.status = sqlc.arg(compensated)::text) AS compensated,
       (SELECT count(DISTINCT m.user_id) FROM moved m WHERE m.local_start = per.local_start AND m.currency = c.code) AS active_customers
FROM periods per
CROSS JOIN currencies c
LEFT JOIN transfers t ON t.currency = c.code AND t.created_at >= per.start_at AND t.created_at < per.end_at
GROUP BY per.local_start, per.start_at, per.end_at, c.code
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
