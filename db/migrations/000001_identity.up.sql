-- Identity: users, their sessions and refresh tokens, pending registrations and operations.

CREATE TABLE users (
    id               uuid PRIMARY KEY,
    email            text NOT NULL,
    password_hash    text NOT NULL,
    full_name        text NOT NULL,
    phone            text,
    role             text NOT NULL DEFAULT 'client' CHECK (role IN ('client', 'support', 'admin')),
    -- pending: created by a registration that has not finished; it cannot log in.
    status           text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'active', 'disabled')),
    failed_logins    integer NOT NULL DEFAULT 0 CHECK (failed_logins >= 0),
    locked_until     timestamptz,
    -- The registration workflow that created the user: makes the creation idempotent.
    registration_id  text UNIQUE,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT users_email_normalised CHECK (email = lower(btrim(email)) AND email <> ''),
    CONSTRAINT users_email_key UNIQUE (email)
);

-- A registration waiting for its workflow. It holds the password hash so that no workflow input or
-- history ever carries it; the workflow deletes the row once the user exists or the registration fails.
CREATE TABLE registrations (
    id             text PRIMARY KEY,
    email          text NOT NULL,
    password_hash  text NOT NULL,
    full_name      text NOT NULL,
    phone          text,
    currency       char(3) NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now()
);

-- A login session: the family of refresh tokens issued from one login. Access tokens name their
-- session, so revoking it ends them at once.
CREATE TABLE sessions (
    id          uuid PRIMARY KEY,
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    user_agent  text NOT NULL DEFAULT '',
    ip          text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    revoked_at  timestamptz,
    revoke_reason text
);
CREATE INDEX sessions_user_id_idx ON sessions (user_id) WHERE revoked_at IS NULL;

CREATE TABLE refresh_tokens (
    token_hash  bytea PRIMARY KEY,
    session_id  uuid NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz
);
CREATE INDEX refresh_tokens_session_id_idx ON refresh_tokens (session_id);

-- Long-running operations started through the API (registrations, transfers, freezes). The workflow
-- is the source of truth for status; this row says who may read it.
CREATE TABLE operations (
    id           text PRIMARY KEY,
    kind         text NOT NULL,
    workflow_id  text NOT NULL UNIQUE,
    user_id      uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);
