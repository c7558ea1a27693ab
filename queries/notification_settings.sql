-- name: ListNotificationSettings :many
-- The kinds whose email the user chose on or off; every other kind is emailed.
SELECT kind, email FROM notification_settings WHERE user_id = $1 ORDER BY kind;

-- name: SetNotificationSettings :exec
-- Sets the user's email choice for each kind named; setting it again to the same is no change.
INSERT INTO notification_settings (user_id, kind, email)
SELECT @user_id, k.kind, k.email FROM (SELECT unnest(@kinds::text[]) AS kind, unnest(@emails::boolean[]) AS email) k
ON CONFLICT (user_id, kind) DO UPDATE SET email = excluded.email, updated_at = now()
WHERE notification_settings.email IS DISTINCT FROM excluded.email;
