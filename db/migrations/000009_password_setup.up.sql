-- One-time tokens that let a user set their password: a staff member created by an admin sets
-- their first one through the link emailed to them. Only the token's SHA-256 is stored; a token
-- is spent by its first use and expires unused.
CREATE TABLE password_tokens (
    token_hash  bytea PRIMARY KEY,
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_by  uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz
);
CREATE INDEX password_tokens_user_id_idx ON password_tokens (user_id);
