-- Migration 2: what authctl needs.

-- Revocation (authctl revoke, authctl user passwd): refresh and me refuse
-- a token of this user issued (iat) at or before this Unix second.
ALTER TABLE users ADD COLUMN tokens_valid_after INTEGER NOT NULL DEFAULT 0;

-- The ids of deleted users (authctl user delete).  register never reuses
-- an id (users is AUTOINCREMENT), and import-django refuses these, so that
-- a deleted user's unexpired tokens never come to name somebody else.
CREATE TABLE deleted_users (
	id		INTEGER PRIMARY KEY
);

-- When an attempt-counter window ends (Unix seconds), so that authctl
-- purge knows which rows are spent without knowing AUTH_RATE_WINDOW.
-- Rows from before this migration read 0: spent.
ALTER TABLE attempts ADD COLUMN expires INTEGER NOT NULL DEFAULT 0;
