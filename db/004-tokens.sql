-- Migration 4: tokens the server must remember by their jti (SPEC
-- "Account endpoints", "Refresh rotation").  Each row lives until the
-- token's own exp, then authctl purge (and the normal path, a few rows at
-- a time) deletes it, so the table holds only tokens that could still be
-- presented.
CREATE TABLE tokens (
	jti		TEXT PRIMARY KEY,
	user_id		INTEGER NOT NULL,
	kind		INTEGER NOT NULL,	-- 0 logged out (refused),
						-- 1 spent by rotation,
						-- 2 issued in the second of a
						--   revocation, after it (valid)
	at		INTEGER NOT NULL,	-- Unix seconds it became so
	expires		INTEGER NOT NULL	-- the token's exp
) WITHOUT ROWID;
CREATE INDEX tokens_expires ON tokens (expires);
CREATE INDEX tokens_user ON tokens (user_id);
