-- Every movement of money is at most domain.MaxAmount minor units: a balance would need over 9,000
-- of them to reach bigint's limit. The API refuses a larger amount with 422 before anything is
-- written.
ALTER TABLE transfers ADD CONSTRAINT transfers_amount_bounded CHECK (amount <= 1000000000000000);
ALTER TABLE holds ADD CONSTRAINT holds_amount_bounded CHECK (amount <= 1000000000000000);
