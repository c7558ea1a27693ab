-- Reports at scale (docs/benchmark.md, "At scale"). The transactions report reads the transfers
-- requested in its periods: without an index on when a transfer was requested it read the whole
-- table once per period and currency. Transfers are written in time order, so one period's rows
-- sit together in the table too and the index's range reads few pages.
CREATE INDEX transfers_created_at_idx ON transfers (created_at);
