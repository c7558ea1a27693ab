-- Placeholder for version 11, which the account freezes' migration of the same name takes. It
-- changes nothing, so that version 12 can follow on this line of work; when the freezes' migration
-- is merged, its content replaces this file.
SELECT 1;
