-- name: ListSentEmails :many
-- Which of these emails the mail server accepted already.
SELECT id FROM sent_emails WHERE id = ANY(@ids::text[]);

-- name: RecordEmailSent :exec
INSERT INTO sent_emails (id) VALUES ($1) ON CONFLICT (id) DO NOTHING;
