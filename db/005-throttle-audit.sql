-- Migration 5: the per-account throttle and the audit log (SPEC
-- "Per-account throttle", "Audit log").

-- Failed logins per account name: its unique key ("u:" username key or
-- "e:" email key), whether or not an account has it, per fixed window.
CREATE TABLE name_failures (
	name		TEXT NOT NULL,
	bucket		INTEGER NOT NULL,	-- floor(now / window)
	count		INTEGER NOT NULL,
	expires		INTEGER NOT NULL,	-- the window's end
	PRIMARY KEY (name, bucket)
) WITHOUT ROWID;
CREATE INDEX name_failures_expires ON name_failures (expires);

-- The clients (the attempt counter's key) that logged in to an account:
-- one row per pair, the last success.  The throttle lets them through.
CREATE TABLE known_clients (
	user_id		INTEGER NOT NULL,
	client		TEXT NOT NULL,
	at		INTEGER NOT NULL,
	PRIMARY KEY (user_id, client)
) WITHOUT ROWID;
CREATE INDEX known_clients_at ON known_clients (at);

-- The audit log, written in the transaction of what it records.  No
-- password, token or key is ever in it.
CREATE TABLE events (
	id		INTEGER PRIMARY KEY,
	at		INTEGER NOT NULL,	-- Unix seconds
	user_id		INTEGER,		-- NULL when no account is known
	event		TEXT NOT NULL,
	client		TEXT,			-- for requests: the counter's key
	detail		TEXT
);
CREATE INDEX events_at ON events (at);
CREATE INDEX events_user ON events (user_id, id);
