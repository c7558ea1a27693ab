-- A customer's balance is at most 2^53 - 1 minor units (domain.MaxBalance), the largest integer a
-- JavaScript number holds exactly: every amount and balance a customer reads is exact in a
-- browser. PostTransferTx refuses a credit past it (balance_limit_exceeded); this is the backstop.
-- Cash accounts, whose balances are the negated sum of their currency's deposits, are not bounded.
ALTER TABLE accounts ADD CONSTRAINT accounts_customer_balance_safe_integer
    CHECK (kind <> 'customer' OR balance <= 9007199254740991);
