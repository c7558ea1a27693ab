-- name: RememberDevice :one
-- Records a login from device (a hash of its User-Agent and network). is_new: the user had not
-- logged in from it before; had_others: they had logged in from another device (so a new one is
-- worth telling; a user's first login is not).
WITH seen AS (
    INSERT INTO known_devices (user_id, device) VALUES (@user_id, @device)
    ON CONFLICT (user_id, device) DO UPDATE SET last_seen_at = now()
    RETURNING (xmax = 0) AS is_new
)
SELECT seen.is_new::boolean AS is_new,
       EXISTS (SELECT 1 FROM known_devices k WHERE k.user_id = @user_id AND k.device <> @device)::boolean AS had_others
FROM seen;
