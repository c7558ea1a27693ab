-- The API processes keep the sessions they authenticated in memory, and forget one the moment it may
-- no longer authenticate: at the commit of any change that could end it (revoked, expired sooner,
-- deleted; its user disabled, deleted, given another role or email), whoever makes it (an API
-- process, bankctl, a statement written by hand), PostgreSQL notifies session_changes with
-- 's:<session id>' or 'u:<user id>'. A process that is not listening keeps nothing in memory.
CREATE FUNCTION notify_session_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('session_changes', 's:' || OLD.id::text);
    RETURN NULL;
END;
$$;

CREATE TRIGGER sessions_notify_change
    AFTER UPDATE ON sessions
    FOR EACH ROW
    WHEN (OLD.revoked_at IS DISTINCT FROM NEW.revoked_at OR OLD.expires_at IS DISTINCT FROM NEW.expires_at
          OR OLD.user_id IS DISTINCT FROM NEW.user_id OR OLD.id IS DISTINCT FROM NEW.id)
    EXECUTE FUNCTION notify_session_change();

CREATE TRIGGER sessions_notify_delete
    AFTER DELETE ON sessions
    FOR EACH ROW EXECUTE FUNCTION notify_session_change();

CREATE FUNCTION notify_user_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('session_changes', 'u:' || OLD.id::text);
    RETURN NULL;
END;
$$;

CREATE TRIGGER users_notify_change
    AFTER UPDATE ON users
    FOR EACH ROW
    WHEN (OLD.role IS DISTINCT FROM NEW.role OR OLD.status IS DISTINCT FROM NEW.status
          OR OLD.email IS DISTINCT FROM NEW.email OR OLD.id IS DISTINCT FROM NEW.id)
    EXECUTE FUNCTION notify_user_change();

CREATE TRIGGER users_notify_delete
    AFTER DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION notify_user_change();
