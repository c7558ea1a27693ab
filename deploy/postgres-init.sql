-- Runs once, when the postgres volume is first initialised (docker-entrypoint-initdb.d).
-- Temporal's auto-setup image creates its own temporal / temporal_visibility databases.
CREATE DATABASE bank;
