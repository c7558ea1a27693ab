-- Japanese yen: a currency without minor units (ISO 4217 exponent 0), with its cash account.
INSERT INTO currencies (code, exponent) VALUES ('JPY', 0);
INSERT INTO accounts (id, number, kind, currency) VALUES (gen_random_uuid(), 'CASH-JPY', 'cash', 'JPY');
