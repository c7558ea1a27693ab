-- Emails for real: each user reads them in their language, and each outbox email is rendered when it
-- is sent, from its kind and the facts it tells (amounts, account numbers, a failure's code), so it
-- speaks the user's language and name as they are then. An email the mail server keeps refusing is
-- retried with backoff, then given up and marked failed, never sent again; its failure is audited
-- once. Nothing here touches the money movement the email tells of.

-- The language of a user's emails, chosen at registration (or from its Accept-Language) and
-- changed with PATCH /v1/me.
ALTER TABLE users ADD COLUMN locale text NOT NULL DEFAULT 'en' CONSTRAINT users_locale_known CHECK (locale IN ('en', 'es'));
ALTER TABLE registrations ADD COLUMN locale text NOT NULL DEFAULT 'en' CONSTRAINT registrations_locale_known CHECK (locale IN ('en', 'es'));

-- kind names the email's template; `text` is an email written out in subject and body (those the
-- outbox held before templates). data holds what a template tells, as JSON. The one-time link of a
-- staff invitation is the only secret any email carries.
ALTER TABLE emails
    ADD COLUMN kind text NOT NULL DEFAULT 'text' CONSTRAINT emails_kind_known CHECK (kind IN (
        'text', 'welcome', 'email_taken', 'staff_invitation', 'transfer_sent', 'transfer_received',
        'transfer_failed', 'deposit', 'withdrawal', 'withdrawal_failed')),
    ADD COLUMN data jsonb NOT NULL DEFAULT '{}' CONSTRAINT emails_data_object CHECK (jsonb_typeof(data) = 'object'),
    ALTER COLUMN subject SET DEFAULT '',
    ALTER COLUMN body SET DEFAULT '',
    -- Delivery: attempts the server refused, the last refusal, when to try next; failed_at ends
    -- the retries for good, and failure_audited_at records that the audit log has the failure.
    ADD COLUMN attempts integer NOT NULL DEFAULT 0 CONSTRAINT emails_attempts_positive CHECK (attempts >= 0),
    ADD COLUMN last_error text,
    ADD COLUMN next_attempt_at timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN failed_at timestamptz,
    ADD COLUMN failure_audited_at timestamptz,
    ADD CONSTRAINT emails_sent_or_failed CHECK (sent_at IS NULL OR failed_at IS NULL),
    ADD CONSTRAINT emails_audited_failure CHECK (failure_audited_at IS NULL OR failed_at IS NOT NULL);

UPDATE emails SET next_attempt_at = created_at WHERE sent_at IS NULL;

DROP INDEX emails_unsent_idx;
CREATE INDEX emails_due_idx ON emails (next_attempt_at, id) WHERE sent_at IS NULL AND failed_at IS NULL;
CREATE INDEX emails_failure_unaudited_idx ON emails (failed_at, id) WHERE failed_at IS NOT NULL AND failure_audited_at IS NULL;
