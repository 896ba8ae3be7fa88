/*
 * Storage: the only module that knows SQL, table names or SQLite.  Nothing
 * here names a notion of SQLite's, so that another engine can sit behind
 * the same functions.  Every statement lives in one table in db.c; every
 * write is one transaction.  Functions returning -1 have logged why; to
 * the client that is SPEC's 503 (a storage failure).
 */
#ifndef DB_H
#define DB_H

#include <stddef.h>

struct db;

/* A user as stored; strings owned by the struct (db_user_free). */
struct user {
	long long	 id;
	char		*username;
	char		*email;
	char		*password;	/* Django-format hash */
	int		 is_active;
	long long	 date_joined;	/* Unix seconds */
	long long	 last_login;	/* Unix seconds, 0 if never */
	long long	 tokens_valid_after;	/* tokens issued (iat) at or
						   before this second are
						   revoked; 0 if never */
};

/* Which unique rule a new user broke (db_user_add, db_user_import). */
enum db_taken {
	DB_FREE,		/* none: the user is in */
	DB_TAKEN_USERNAME,
	DB_TAKEN_EMAIL,
	DB_TAKEN_ID,
	DB_DELETED_ID		/* the id of a deleted user */
};

/*
 * Ids a token can carry (jwt_sign refuses 2^53 and above): register gives
 * none beyond, and import-django takes ids below DB_IMPORT_ID_LIMIT, so
 * that register always has room after an import.
 */
#define DB_ID_LIMIT		9007199254740992LL	/* 2^53 */
#define DB_IMPORT_ID_LIMIT	4503599627370496LL	/* 2^52 */

/* db_open's mode. */
#define DB_EXISTING	0	/* the database must exist (authctl) */
#define DB_CREATE	1	/* create it if missing (the endpoints) */
#define DB_INSPECT	2	/* must exist, and is not migrated: for
				   authctl's commands that only look */
#define DB_SERVE	3	/* as DB_CREATE, for the endpoints'
				   requests: on PostgreSQL each has 5 s
				   of waiting in all (db_tidy ends one) */

/*
 * Open the database named by path (AUTH_DB; with DB_CREATE, creating it,
 * readable by its owner only, if missing), and bring its schema up to
 * date; a NULL path is a private in-memory database (for the fuzzers and
 * the unit test).  A postgresql:// or postgres:// URI is PostgreSQL
 * (SPEC "Storage"), in a build made with make DB=postgresql; the modes
 * are the same there, a database without our tables (never used) standing
 * for a missing file.  Returns NULL (logged) if that fails.
 */
struct db *db_open(const char *path, int mode);
void	db_close(struct db *db);
/*
 * Between requests (a FastCGI process keeps its connection): the
 * housekeeping a process's exit would do, without waiting, as db_close
 * does it.
 */
void	db_tidy(struct db *db);
/*
 * The handle serves many requests (a FastCGI process): on PostgreSQL,
 * statements are then prepared once per connection where that lasts (no
 * pooler between); SQLite's are prepared once per handle anyway.
 */
void	db_keep(struct db *db);
/* Whether the handle's statements are prepared now (db_keep): 1 or 0. */
int	db_prepares(struct db *db);

/*
 * The current Unix second by the storage's clock: SQLite's is this
 * host's (time(NULL)), PostgreSQL's the server's, one clock for every web
 * host (db_user_password's and db_user_revoke's *at come from it too).
 * A caller that picks a revocation's second itself, and signs tokens
 * with it, reads it here.  Returns -1 (logged) if it cannot be read.
 */
long long db_now(struct db *db);

/*
 * A transaction around several of the calls below (authctl import-django):
 * db_begin, then db_end(db, 0) commits and db_end(db, non-zero) rolls
 * back.  The calls that write open their own transaction only when none is
 * open.  Both return 0 or -1.
 */
int	db_begin(struct db *db);
int	db_end(struct db *db, int failed);

/*
 * The signing key kept in the database.  db_secret_get copies it into buf
 * (size *len, updated): 1 found, 0 none yet, -1 error.  db_secret_put
 * stores key unless one is already there (the first writer wins).
 */
int	db_secret_get(struct db *db, unsigned char *buf, size_t *len);
int	db_secret_put(struct db *db, const unsigned char *key, size_t len);

/*
 * Key rotation (authctl secret rotate): store key as the signing key; the
 * one it replaces goes on verifying tokens until the Unix time until (0:
 * not at all).  Returns 1 if it replaced a key, 0 if there was none, -1.
 * db_secret_previous copies that previous key into buf (size *len,
 * updated) with its *until: 1 found, 0 none, -1 error.
 */
int	db_secret_rotate(struct db *db, const unsigned char *key, size_t len,
	    long long until);
int	db_secret_previous(struct db *db, unsigned char *buf, size_t *len,
	    long long *until);

/*
 * Count one attempt of client in scope during window bucket (which ends at
 * the Unix time expires), dropping all older windows, in one transaction.
 * Sets *count to the attempts so far including this one.  Returns 0 or -1.
 */
int	db_attempt(struct db *db, int scope, const char *client,
	    long long bucket, long long expires, long long *count);

/*
 * Look a user up by id, or by the case-folded key of the username or (with
 * is_email) of the email.  Returns 1 found (u filled), 0 none, -1 error.
 */
int	db_user_by_id(struct db *db, long long id, struct user *u);
int	db_user_by_key(struct db *db, int is_email, const char *key,
	    struct user *u);
void	db_user_free(struct user *u);

/*
 * The stored signing key (into key, *keylen bytes at most; *keylen 0 when
 * none is stored yet) and the user id names, in one read: one round trip
 * to PostgreSQL for what every request with a token needs.  Returns 1
 * found (u filled), 0 no such user, -1 error.
 */
int	db_user_with_key(struct db *db, long long id, struct user *u,
	    unsigned char *key, size_t *keylen);

/*
 * Create an active user joined at now; the keys are the names_key() forms
 * the unique indexes hold.  Returns 0 with *taken set (DB_FREE with *id
 * set, or DB_TAKEN_USERNAME / DB_TAKEN_EMAIL if the database refused a
 * duplicate), or -1.
 */
int	db_user_add(struct db *db, const struct user *u,
	    const char *username_key, const char *email_key, long long now,
	    long long *id, enum db_taken *taken);

/*
 * The login's counters, in one write transaction (SPEC "Rate limiting",
 * "Per-account throttle"): the client's attempt (scope, client, its
 * window; client_max 0: the counter is off), then, unless the client is
 * out of attempts, the name's failures (name, its window; name_max 0:
 * off): one is reserved below the limit, and at it only a client that
 * logged in to user_id since known_since goes on (counted anyway).  For
 * an existing account (user_id) a "login_failed" event is noted, to turn
 * into the login if the password was right (the audit log's, in the
 * transaction of what it records); a throttled one notes
 * "login_throttled".
 */
enum db_gate_verdict {
	DB_GATE_OPEN,		/* go on to the password */
	DB_GATE_CLIENT,		/* the client is out of attempts */
	DB_GATE_NAME		/* the name is throttled */
};
struct db_gate {
	long long	 now;
	int		 scope;
	const char	*client;
	long long	 client_bucket, client_expires, client_max;
	const char	*name;
	long long	 name_bucket, name_expires, name_max;
	long long	 user_id;	/* 0: no account has the name */
	long long	 known_since;
	/* What the gate says. */
	enum db_gate_verdict verdict;
	long long	 count;		/* the client's attempts so far */
	int		 reserved;	/* a failure counted for the name */
	long long	 event_id;	/* the failure noted, 0 if none */
};
int	db_login_gate(struct db *db, struct db_gate *g);

/*
 * The login that passed gate g was never judged (no hashing slot came
 * free, or storage failed): the failure it reserved for the name and the
 * one it noted for the audit log are taken back.  One transaction.  0 or
 * -1.
 */
int	db_login_undo(struct db *db, const struct db_gate *g);

/*
 * Record a login at now, and store newhash if it is not NULL in place of
 * oldhash, the hash the password was checked against (a password changed
 * since stays); with the gate it passed (else NULL): the client is known
 * to the account from now on, the reserved failure undone and the noted
 * one turned into the "login" event.  One transaction.  0 or -1.
 */
int	db_user_login(struct db *db, long long id, long long now,
	    const char *oldhash, const char *newhash,
	    const struct db_gate *g);

/*
 * The audit log (SPEC "Audit log"): record event at at for user_id (0:
 * none known), from client (NULL: not a request), with a short detail
 * (NULL: none) that never holds a secret.  In the caller's transaction
 * when one is open (db_begin), so that it is written with what it records.
 * 0 or -1.
 */
int	db_event(struct db *db, long long at, const char *event,
	    long long user_id, const char *client, const char *detail);

/* One recorded event; the strings live until fn returns. */
struct db_eventrow {
	long long	 id;
	long long	 at;
	long long	 user_id;	/* 0: none */
	const char	*event;
	const char	*client;	/* "": none */
	const char	*detail;	/* "": none */
};

/*
 * Call fn for each event of user_id (0: every user's) at or after since,
 * oldest first, until it returns non-zero.  0, or -1 on error.
 */
int	db_events(struct db *db, long long user_id, long long since,
	    int (*fn)(const struct db_eventrow *, void *), void *arg);

/*
 * Call fn for each user in id order, until it returns non-zero.  Returns
 * 0, or -1 on error.
 */
int	db_user_each(struct db *db, int (*fn)(const struct user *, void *),
	    void *arg);

/*
 * Changes to user id, each one transaction; 1 done, 0 no such user, -1
 * error.  db_user_password stores a new hash and revokes the user's tokens
 * issued up to the current second, which it sets in *at (the clock read
 * under the write lock); db_user_revoke only revokes; db_user_delete
 * remembers the id, never to be imported again.
 */
int	db_user_password(struct db *db, long long id, const char *hash,
	    long long *at);
int	db_user_revoke(struct db *db, long long id, long long *at);
int	db_user_active(struct db *db, long long id, int active);

/*
 * Delete user id, and with hash only if that is still its password (the
 * endpoint verified it; a concurrent change wins).  The id is remembered,
 * never to be imported again.  1 done, 0 no such user (or another
 * password), -1 error.
 */
int	db_user_delete(struct db *db, long long id, const char *hash);

/*
 * PUT me/password: store hash in place of old, if old is still the
 * password of user id (a concurrent change wins), and revoke the tokens
 * issued up to the second at, in the caller's transaction (db_begin: the
 * caller reads the clock and signs the new pair under the write lock).
 * 1 done, 0 no such user or another password, -1 error.
 */
int	db_user_swap_password(struct db *db, long long id, const char *old,
	    const char *hash, long long at);

/*
 * PATCH me/email: store the address and its key for user id.  1 done; 0
 * with *taken DB_TAKEN_EMAIL when another account has that key (nothing
 * changed), or with DB_FREE when there is no such user; -1 error.
 */
int	db_user_email(struct db *db, long long id, const char *email,
	    const char *email_key, enum db_taken *taken);

/*
 * Tokens remembered by their jti until their exp (SPEC "Account
 * endpoints", "Refresh rotation").
 */
enum db_token_kind {
	DB_TOKEN_LOGGED_OUT,	/* logout: refused from now on */
	DB_TOKEN_SPENT,		/* rotated: presented again, a retry or theft */
	DB_TOKEN_FRESH		/* issued in the second of its user's
				   revocation, after it: still valid */
};
struct db_token {
	long long		 user_id;
	enum db_token_kind	 kind;
	long long		 at;	/* since when, Unix seconds */
};

/* What is remembered of jti: 1 found (t filled), 0 nothing, -1 error. */
int	db_token_get(struct db *db, const char *jti, struct db_token *t);

/*
 * Remember jti (a token of user_id expiring at expires) as kind since at:
 * a logout overrides what is there, a spent or fresh token leaves an
 * existing row as it is.  Sets *t (unless NULL) to the row as it then is,
 * so that two spending one token at once learn which came first.  Also
 * deletes a few rows of tokens expired by at, keeping the table small.
 * One transaction (or the caller's).  Returns 0 or -1.
 */
int	db_token_put(struct db *db, const char *jti, long long user_id,
	    enum db_token_kind kind, long long at, long long expires,
	    struct db_token *t);

/*
 * Insert a user as another system had it: u's id, hash, is_active,
 * date_joined and last_login kept.  Returns 0 with *taken set (DB_FREE:
 * inserted; else which rule it broke, and nothing is), or -1.
 */
int	db_user_import(struct db *db, const struct user *u,
	    const char *username_key, const char *email_key,
	    enum db_taken *taken);

/*
 * Housekeeping (authctl purge): delete the attempt-counter and
 * name-failure windows ended by now, the remembered tokens expired by now,
 * the known clients last seen at or before known_before, the events
 * before events_before, and a previous signing key whose grace is over,
 * then let the
 * storage reclaim what it can without waiting.  Sets what was deleted.
 * Returns 0 or -1.
 */
struct db_purged {
	long long	 attempts;	/* attempt-counter windows ended */
	long long	 tokens;	/* remembered tokens expired */
	long long	 names;		/* name-failure windows ended */
	long long	 known;		/* known clients not seen since */
	long long	 events;	/* events older than kept */
	int		 previous_key;	/* the previous key's grace was over */
};
int	db_purge(struct db *db, long long now, long long events_before,
	    long long known_before, struct db_purged *p);

/* What authctl stats reports (db_stats: 0, or -1 logged). */
struct db_stats {
	long long	 users;
	long long	 active_users;
	long long	 attempts;	/* attempt-counter rows */
	long long	 bytes;		/* what the stored data takes */
	long long	 tokens;	/* tokens remembered by their jti */
	int		 schema;	/* the database's schema version */
	int		 schema_latest;	/* this program's */
};
int	db_stats(struct db *db, struct db_stats *st);

/*
 * Check the database (authctl check): the storage's own integrity check
 * and the schema version.  report is called once per finding (ok
 * non-zero for a pass).  Returns the number of problems, or -1 if the
 * checks could not run.
 */
int	db_check(struct db *db, void (*report)(void *arg, int ok,
	    const char *what), void *arg);

/*
 * Whether path (AUTH_DB) names PostgreSQL: a postgresql:// or postgres://
 * URI (SPEC "Storage"), whether or not this build speaks it.
 */
int	db_is_pg(const char *path);

/*
 * path as it may be shown on a terminal or in a log line: a URI's
 * passwords replaced by *** (SPEC "Storage": never in a log line), into
 * buf (size len), which is returned.
 */
const char *db_shown(const char *path, char *buf, size_t len);

/*
 * Whether path names a database this program has made: SQLite's file
 * exists; PostgreSQL's database (which its server made) holds our schema.
 * 1, 0, or -1 (logged) if that cannot be told.  Nothing is created.
 */
int	db_exists(const char *path);

/*
 * Moving a site from one database to another (authctl copy-to): every
 * row that outlives a request, one at a time.  The attempt counter's and
 * the name failures' windows are not among them (they end by themselves).
 */
enum db_rowkind {
	DB_ROW_USER,		/* user, username_key, email_key */
	DB_ROW_DELETED,		/* id: a deleted user's, never given again */
	DB_ROW_IDS,		/* id: the largest user id ever given (after
				   the users and deleted ids) */
	DB_ROW_SETTING,		/* name, value, len: a signing key, the one
				   it replaced, until when that verifies */
	DB_ROW_TOKEN,		/* name the jti, token, expires */
	DB_ROW_KNOWN,		/* id a user's, name a client known to it
				   since at */
	DB_ROW_EVENT		/* event (its id is not kept) */
};
struct db_row {
	enum db_rowkind		 kind;
	const struct user	*user;
	const char		*username_key, *email_key;
	long long		 id;
	const char		*name;
	const unsigned char	*value;
	size_t			 len;
	struct db_token		 token;
	long long		 expires, at;
	const struct db_eventrow *event;
};

/*
 * db_export calls fn for every such row of db, users first (in id order),
 * until fn returns non-zero (-1: it failed); the row's strings live until
 * fn returns.  0, or -1 on error or when fn failed.  It reads one
 * snapshot, in a transaction of its own (SQLite's write lock: the
 * endpoints wait until it is done).
 * db_import stores one row as it was, in the caller's transaction (an
 * explicit id moves the id sequence past it, as DB_ROW_IDS does); 0 or
 * -1.  db_empty says whether db holds none of these rows: 1 empty, 0 not
 * (*table names a table that has some), -1 error.
 */
int	db_export(struct db *db, int (*fn)(const struct db_row *, void *),
	    void *arg);
int	db_import(struct db *db, const struct db_row *row);
int	db_empty(struct db *db, const char **table);

#endif
