-- Reports at scale (docs/benchmark.md, "At scale"). The transactions report reads the transfers
-- requested in its periods: without an index on when a transfer was requested it read the whole
-- table once per period and currency. Transfers are written in time order, so one period's rows
-- sit together in the table too and the index's range reads few pages.
--
-- Numbered 000013 for now: the migrations must be contiguous (db/migrate.go) and 000013/000014
-- are being written on other branches; this one becomes 000015 when they land.
CREATE INDEX transfers_created_at_idx ON transfers (created_at);
