-- name: EmailSent :one
-- Whether the email with this id was accepted by the mail server already.
SELECT EXISTS (SELECT 1 FROM sent_emails WHERE id = $1);

-- name: RecordEmailSent :exec
INSERT INTO sent_emails (id) VALUES ($1) ON CONFLICT (id) DO NOTHING;
