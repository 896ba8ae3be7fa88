-- Migration 2: what authctl needs.

-- Revocation (authctl revoke, authctl user passwd): refresh and me refuse
-- a token of this user issued (iat) at or before this Unix second.
ALTER TABLE users ADD COLUMN tokens_valid_after INTEGER NOT NULL DEFAULT 0;

-- When an attempt-counter window ends (Unix seconds), so that authctl
-- purge knows which rows are spent without knowing AUTH_RATE_WINDOW.
-- Rows from before this migration read 0: spent.
ALTER TABLE attempts ADD COLUMN expires INTEGER NOT NULL DEFAULT 0;
