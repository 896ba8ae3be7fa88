-- Migration 1: the initial schema.  db_open() applies each db/NNN-*.sql
-- above the file's PRAGMA user_version, in order, in one transaction each.

-- Django's auth_user, reduced to what the API serves.  AUTOINCREMENT so
-- that an id is never reused: a token naming a deleted user must not come
-- to name somebody new.
CREATE TABLE users (
	id		INTEGER PRIMARY KEY AUTOINCREMENT,
	username	TEXT NOT NULL,		-- stripped, NFKC (as typed)
	username_key	TEXT NOT NULL,		-- NFKC case fold: unique
	email		TEXT NOT NULL,		-- stripped, lowercased
	email_key	TEXT NOT NULL,		-- NFKC case fold: unique
	password	TEXT NOT NULL,		-- Django's pbkdf2_sha256$...
	is_active	INTEGER NOT NULL DEFAULT 1,
	date_joined	INTEGER NOT NULL,	-- Unix seconds
	last_login	INTEGER			-- Unix seconds, NULL if never
);
-- The database itself refuses a duplicate, so two concurrent registrations
-- of one name cannot both succeed.  Django allows blank emails; they do
-- not collide.
CREATE UNIQUE INDEX users_username_key ON users (username_key);
CREATE UNIQUE INDEX users_email_key ON users (email_key) WHERE email_key <> '';

-- The attempt counter: one row per scope, client and fixed window.
CREATE TABLE attempts (
	scope		INTEGER NOT NULL,	-- 0 register, 1 login, 2 refresh
	client		TEXT NOT NULL,		-- address or IPv6 /64
	bucket		INTEGER NOT NULL,	-- floor(now / window)
	count		INTEGER NOT NULL,
	PRIMARY KEY (scope, client, bucket)
) WITHOUT ROWID;
-- Purging old windows is a range delete on this.
CREATE INDEX attempts_bucket ON attempts (bucket);

-- Values the service keeps for itself: the generated signing key.
CREATE TABLE settings (
	name		TEXT PRIMARY KEY,
	value		BLOB NOT NULL
) WITHOUT ROWID;
