-- name: ListAccountHistory :many
-- An account's postings, newest first, keyset-paginated on (created_at, id), with the other leg.
SELECT p.id, p.amount, p.currency, p.balance_after, p.created_at,
       lt.transfer_id, lt.description,
       COALESCE(other.number, '')::text AS counterparty_account_number
FROM postings p
JOIN ledger_transactions lt ON lt.id = p.transaction_id
LEFT JOIN LATERAL (
    SELECT a.number FROM postings op JOIN accounts a ON a.id = op.account_id
    WHERE op.transaction_id = p.transaction_id AND op.account_id <> p.account_id
    LIMIT 1
) other ON true
WHERE p.account_id = @account_id
  AND (sqlc.narg('direction')::text IS NULL
       OR (sqlc.narg('direction')::text = 'incoming' AND p.amount > 0)
       OR (sqlc.narg('direction')::text = 'outgoing' AND p.amount < 0))
  AND (sqlc.narg('from_time')::timestamptz IS NULL OR p.created_at >= sqlc.narg('from_time')::timestamptz)
  AND (sqlc.narg('to_time')::timestamptz IS NULL OR p.created_at < sqlc.narg('to_time')::timestamptz)
  AND (sqlc.narg('before_created_at')::timestamptz IS NULL
       OR (p.created_at, p.id) < (sqlc.narg('before_created_at')::timestamptz, sqlc.narg('before_id')::bigint))
ORDER BY p.created_at DESC, p.id DESC
LIMIT @page_size;

-- name: CheckConservation :many
-- INV-1: money only enters through the cash account, so every currency's balances sum to zero.
SELECT currency, sum(balance)::bigint AS total FROM accounts GROUP BY currency HAVING sum(balance) <> 0;

-- name: CheckBalancesMatchPostings :many
-- INV-3: every stored balance equals the sum of its postings.
SELECT a.id, a.number, a.balance, COALESCE(p.total, 0)::bigint AS postings_total
FROM accounts a
LEFT JOIN (SELECT account_id, sum(amount) AS total FROM postings GROUP BY account_id) p
       ON p.account_id = a.id
WHERE a.balance <> COALESCE(p.total, 0);

-- name: CheckOnHoldMatchesHolds :many
-- Every account's on_hold amount equals the sum of its active holds.
SELECT a.id, a.number, a.on_hold, COALESCE(h.total, 0)::bigint AS holds_total
FROM accounts a
LEFT JOIN (SELECT hh.account_id, sum(hh.amount) AS total FROM holds hh WHERE hh.status = @active GROUP BY hh.account_id) h
       ON h.account_id = a.id
WHERE a.on_hold <> COALESCE(h.total, 0);

-- name: CheckNegativeCustomerBalances :many
-- INV-2: no customer account below zero, in balance or in available balance.
SELECT id, number, balance, on_hold FROM accounts
WHERE kind = @customer AND (balance < 0 OR balance - on_hold < 0);

-- name: CheckUnbalancedTransactions :many
-- Double entry: every transaction's postings sum to zero per currency.
SELECT transaction_id, currency, sum(amount)::bigint AS total FROM postings
GROUP BY transaction_id, currency HAVING sum(amount) <> 0;

-- name: CheckTransfersPostedOnce :many
-- INV-4: a transfer has at most one ledger transaction, and a completed one has exactly one.
SELECT t.id, t.status, count(lt.id)::bigint AS transactions
FROM transfers t LEFT JOIN ledger_transactions lt ON lt.transfer_id = t.id
GROUP BY t.id, t.status
HAVING count(lt.id) > 1 OR (t.status = @completed) <> (count(lt.id) = 1);

-- name: GetLedgerTransactionByOperation :one
SELECT * FROM ledger_transactions WHERE operation_id = $1;

-- name: StatementBounds :one
-- A statement's postings are the account's from the first posted at or after from_time to the
-- last before to_time, cut by id: the balance chain's order, so that the opening balance plus the
-- statement's postings is its closing balance even where two postings' times and ids disagree.
SELECT COALESCE((SELECT min(s.id) FROM postings s WHERE s.account_id = sqlc.arg(account_id)::uuid AND s.created_at >= sqlc.arg(from_time)::timestamptz), 0)::bigint AS start_id,
       COALESCE((SELECT min(e.id) FROM postings e WHERE e.account_id = sqlc.arg(account_id)::uuid AND e.created_at >= sqlc.arg(to_time)::timestamptz), 0)::bigint AS end_id;

-- name: BalanceBefore :one
-- The account's balance just before posting before_id: the last posting's balance_after, or 0.
SELECT COALESCE((SELECT b.balance_after FROM postings b WHERE b.account_id = sqlc.arg(account_id)::uuid
                 AND b.id < sqlc.arg(before_id)::bigint ORDER BY b.id DESC LIMIT 1), 0)::bigint AS balance;

-- name: ListStatementEntries :many
-- A statement's postings after after_id, in the balance chain's order, with the other leg.
SELECT p.id, p.amount, p.balance_after, p.created_at, lt.transfer_id, lt.description,
       COALESCE(other.number, '')::text AS counterparty_account_number
FROM postings p
JOIN ledger_transactions lt ON lt.id = p.transaction_id
LEFT JOIN LATERAL (
    SELECT a.number FROM postings op JOIN accounts a ON a.id = op.account_id
    WHERE op.transaction_id = p.transaction_id AND op.account_id <> p.account_id
    LIMIT 1
) other ON true
WHERE p.account_id = @account_id AND p.id > @after_id AND p.id < @end_id
ORDER BY p.id
LIMIT @batch;

-- The checks below restate, over whole tables at once, what the ledger's triggers check row by row
-- (db/migrations/000005 and 000011). A bulk load that writes with those triggers off
-- (dev/seedscale) runs them before it commits, so it commits only what the triggers would have let
-- through.

-- name: CheckPostingChains :many
-- Each posting's balance_after is its account's previous posting's (in id order, 0 for the first)
-- plus its amount: postings_follow_history.
SELECT c.id, c.account_id, c.balance_after, c.expected::bigint AS expected
FROM (SELECT p.id, p.account_id, p.balance_after,
             COALESCE(lag(p.balance_after) OVER (PARTITION BY p.account_id ORDER BY p.id), 0) + p.amount AS expected
      FROM postings p) c
WHERE c.balance_after <> c.expected
LIMIT 10;

-- name: CheckBalancesFollowLatestPosting :many
-- Each account's balance is its latest posting's balance_after, 0 without postings:
-- accounts_balance_follows_postings and accounts_open_with_postings.
SELECT a.id, a.number, a.balance, COALESCE(p.balance_after, 0)::bigint AS posted
FROM accounts a
LEFT JOIN LATERAL (SELECT lp.balance_after FROM postings lp WHERE lp.account_id = a.id ORDER BY lp.id DESC LIMIT 1) p ON true
WHERE a.balance <> COALESCE(p.balance_after, 0)
LIMIT 10;

-- name: CheckFrozenAccountsMatchFreezes :many
-- An account is frozen exactly while it has an active freeze: freezes_account_status.
SELECT a.id, a.number, a.status
FROM accounts a
WHERE (a.status = @frozen) <> EXISTS (SELECT 1 FROM freezes f WHERE f.account_id = a.id AND f.status = @active)
LIMIT 10;

-- name: CheckPostingsRespectFreezes :many
-- No posting at or after a freeze came into force takes money out of its account, nor puts money
-- into one frozen in full: postings_account_frozen.
SELECT p.id, p.account_id, p.amount, f.scope
FROM freezes f
JOIN postings p ON p.account_id = f.account_id AND p.created_at >= f.frozen_at
WHERE f.status = @active AND (p.amount < 0 OR f.scope = @stops_credits)
LIMIT 10;
