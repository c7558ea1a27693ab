-- Live events for the WebSocket (`GET /v1/ws`): what each user is told as it happens. An event is
-- written in the same step (and, for the outbox's emails, the same transaction) as the
-- notification or change it tells of, keyed so that a step run twice writes it once, and a
-- pg_notify on the channel user_events names its user at the commit: every API process listening
-- wakes that user's sockets, which read the events from here. A reconnecting client names the last
-- id it saw and reads on from this table.
--
-- Ids are per user and only grow: user_event_seqs holds each user's last id, and its row is locked
-- by the transaction that appends, so a user's events commit in the order of their ids (a reader
-- that saw id n never misses an id below n committed later). Purging old events keeps the
-- sequence, so an id is never given twice.
CREATE TABLE user_event_seqs (
    user_id uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    last_id bigint NOT NULL DEFAULT 0 CONSTRAINT user_event_seqs_last_id_positive CHECK (last_id >= 0)
);

CREATE TABLE user_events (
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    id bigint NOT NULL CONSTRAINT user_events_id_positive CHECK (id > 0),
    -- What wrote the event and about what (`notification/<id>`, `transfer/<id>/completed/<user>`):
    -- the same step run again finds it and writes nothing.
    key text NOT NULL CONSTRAINT user_events_key_length CHECK (length(key) BETWEEN 1 AND 300),
    type text NOT NULL CONSTRAINT user_events_type_known CHECK (type IN (
        'notification.created', 'transfer.completed', 'transfer.failed', 'transfer.received',
        'operation.completed', 'account.frozen', 'account.unfrozen')),
    data jsonb NOT NULL CONSTRAINT user_events_data_object CHECK (jsonb_typeof(data) = 'object'),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, id),
    CONSTRAINT user_events_key_once UNIQUE (user_id, key)
);

-- The maintenance chore forgets events past their retention, oldest first.
CREATE INDEX user_events_created_idx ON user_events (created_at);
