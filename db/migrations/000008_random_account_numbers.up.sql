-- Account numbers are drawn at random (domain/accountnumber.go): 12 digits, the last a Luhn check
-- digit, drawn by the application from a cryptographically secure source and drawn again on the
-- rare clash with accounts_number_key. The sequence they came from is gone, so that no code can go
-- back to numbers that follow each other.
--
-- The accounts opened from the sequence keep their numbers (9 digits: the sequence value and a Luhn
-- check digit), and the cash accounts theirs (CASH-<currency>): a number once given out is never
-- changed. The database holds every number to one of these shapes; adding the constraint checks
-- the numbers already given out.
DROP SEQUENCE account_number_seq;

ALTER TABLE accounts ADD CONSTRAINT accounts_number_shape CHECK (
    CASE kind
        WHEN 'cash' THEN number ~ '^CASH-[A-Z]{3}$'
        ELSE number ~ '^[1-9]([0-9]{11}|[0-9]{8})$'
    END);
