-- A transfer moves money once. The posting's operation id (derived from the transfer) already keeps a
-- retried posting to one ledger transaction; this makes the rule the database's own, so that nothing
-- (a second operation id, a statement written by hand) can post a transfer twice. Transactions
-- without a transfer (NULL) are not constrained.
ALTER TABLE ledger_transactions
    ADD CONSTRAINT ledger_transactions_one_per_transfer UNIQUE (transfer_id);
