-- The inbox: every kind of notification by its own name, the email of each kind a user may switch
-- off, and the devices each user has logged in from, so that a login from a new one is told.

-- Each notification kind has an email template of the same name (domain.NotificationKind).
ALTER TABLE emails DROP CONSTRAINT emails_kind_known;
ALTER TABLE emails ADD CONSTRAINT emails_kind_known CHECK (kind IN (
    'text', 'email_taken', 'welcome', 'transfer_sent', 'transfer_received', 'transfer_failed',
    'deposit', 'withdrawal', 'withdrawal_failed', 'account_frozen', 'account_unfrozen',
    'password_changed', 'login_locked', 'new_device', 'staff_invitation'));

-- A user's choice of email per notification kind; a kind without a row is emailed. Only the kinds a
-- user may switch off can have a row: the security kinds (password_changed, login_locked,
-- new_device) and the staff invitation are always emailed, and the database refuses to store
-- otherwise. The choice is read when an email is written to the outbox (InsertEmails): an email
-- already waiting is sent whatever the user chooses afterwards. The inbox entry is always written.
CREATE TABLE notification_settings (
    user_id    uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind       text        NOT NULL CONSTRAINT notification_settings_kind_optional CHECK (kind IN (
        'welcome', 'transfer_sent', 'transfer_received', 'transfer_failed', 'deposit', 'withdrawal',
        'withdrawal_failed', 'account_frozen', 'account_unfrozen')),
    email      boolean     NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, kind)
);

-- The devices a user has logged in from: a SHA-256 of the User-Agent and the client's network (its
-- IPv4 /24 or IPv6 /64), never the address itself. A login from a device the user has none of,
-- when they already have others, is a new device; the first login of a user has nothing to compare.
CREATE TABLE known_devices (
    user_id       uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    device        bytea       NOT NULL CONSTRAINT known_devices_device_sha256 CHECK (length(device) = 32),
    first_seen_at timestamptz NOT NULL DEFAULT now(),
    last_seen_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, device)
);
