/*
 * SQLite storage.  WAL mode, synchronous=NORMAL, a busy timeout, BEGIN
 * IMMEDIATE for every write (so a writer waits for the lock up front rather
 * than failing on a stale snapshot), and prepared statements from the one
 * table below, each prepared only when first used.  Built with make
 * DB=postgresql, a database opened from a PostgreSQL URI is db-pg.c's
 * instead: each function below hands it over first (PG_ROUTE).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "clock.h"
#include "conf.h"
#include "crypto.h"
#include "db.h"
#ifdef WITH_PG
#include "db-pg.h"
#endif
#include "names.h"

/* A database of PostgreSQL's answers from db-pg.c. */
#ifdef WITH_PG
#define PG_ROUTE(db, call)	if ((db)->pg != NULL) return (call)
#else
#define PG_ROUTE(db, call)
#endif

/*
 * How long a request waits for another writer before giving up with a
 * 503.  Writes here take microseconds; seconds of waiting mean trouble.
 */
#define BUSY_TIMEOUT_MS	5000

/* The migrations, db/NNN-*.sql in order, compiled in by the Makefile. */
static const char *const migrations[] = {
#include "schema.inc"
};
#define SCHEMA_VERSION	((int)(sizeof(migrations) / sizeof(migrations[0])))

enum stmt {
	STMT_SECRET_GET,
	STMT_SECRET_PUT,
	STMT_ATTEMPT_PURGE,
	STMT_ATTEMPT_HIT,
	STMT_USER_BY_ID,
	STMT_USER_BY_NAME,
	STMT_USER_BY_EMAIL,
	STMT_USER_ADD,
	STMT_USER_LOGIN,
	STMT_USER_LIST,
	STMT_USER_PASSWORD,
	STMT_USER_REVOKE,
	STMT_USER_ACTIVE,
	STMT_USER_DELETE,
	STMT_USER_DELETED,
	STMT_USER_WAS_DELETED,
	STMT_USER_IMPORT,
	STMT_SETTING_PUT,
	STMT_SETTING_DEL,
	STMT_PREVIOUS_GET,
	STMT_ATTEMPT_EXPIRED,
	STMT_STATS,
	STMT_EMAIL_KEYS,
	STMT_EMAIL_REKEY,
	STMT_TOKEN_GET,
	STMT_TOKEN_OUT,
	STMT_TOKEN_KEEP,
	STMT_TOKEN_TRIM,
	STMT_TOKEN_UNFRESH,
	STMT_TOKEN_EXPIRED,
	STMT_TOKEN_FORGET,
	STMT_USER_SWAP,
	STMT_USER_DELETE_IF,
	STMT_USER_EMAIL,
	STMT_TOKEN_COUNT,
	STMT_NAME_TRY,
	STMT_NAME_ADD,
	STMT_NAME_UNDO,
	STMT_NAME_PURGE,
	STMT_KNOWN_GET,
	STMT_KNOWN_PUT,
	STMT_KNOWN_PURGE,
	STMT_EVENT_ADD,
	STMT_EVENT_LOGIN,
	STMT_EVENT_LIST,
	STMT_EVENT_PURGE,
	STMT_EVENT_FORGET,
	STMT__MAX
};

#define USER_COLUMNS "id, username, email, password, is_active, " \
	"date_joined, coalesce(last_login, 0), tokens_valid_after"

/* The settings rows of the signing key and of the one it replaced. */
#define SECRET		"jwt_secret"
#define PREVIOUS	"jwt_secret_previous"
#define PREVIOUS_UNTIL	"jwt_secret_previous_until"

static const char *const stmts[STMT__MAX] = {
	/* STMT_SECRET_GET */
	"SELECT value FROM settings WHERE name = '" SECRET "'",
	/* STMT_SECRET_PUT */
	"INSERT OR IGNORE INTO settings (name, value) VALUES ('" SECRET "', ?)",
	/* STMT_ATTEMPT_PURGE */
	"DELETE FROM attempts WHERE bucket < ?",
	/* STMT_ATTEMPT_HIT */
	"INSERT INTO attempts (scope, client, bucket, count, expires) "
	"VALUES (?, ?, ?, 1, ?) "
	"ON CONFLICT (scope, client, bucket) DO UPDATE SET count = count + 1 "
	"RETURNING count",
	/* STMT_USER_BY_ID */
	"SELECT " USER_COLUMNS " FROM users WHERE id = ?",
	/* STMT_USER_BY_NAME */
	"SELECT " USER_COLUMNS " FROM users WHERE username_key = ?",
	/* STMT_USER_BY_EMAIL */
	"SELECT " USER_COLUMNS " FROM users WHERE email_key = ? AND email_key <> ''",
	/* STMT_USER_ADD */
	"INSERT INTO users (username, username_key, email, email_key, password, "
	"is_active, date_joined) VALUES (?, ?, ?, ?, ?, 1, ?)",
	/* STMT_USER_LOGIN: a rehash only of the password that was checked */
	"UPDATE users SET last_login = ?, password = CASE WHEN password = ? "
	"THEN coalesce(?, password) ELSE password END WHERE id = ?",
	/* STMT_USER_LIST */
	"SELECT " USER_COLUMNS " FROM users ORDER BY id",
	/* STMT_USER_PASSWORD */
	"UPDATE users SET password = ?, "
	"tokens_valid_after = max(tokens_valid_after, ?) WHERE id = ?",
	/* STMT_USER_REVOKE */
	"UPDATE users SET tokens_valid_after = max(tokens_valid_after, ?) "
	"WHERE id = ?",
	/* STMT_USER_ACTIVE */
	"UPDATE users SET is_active = ? WHERE id = ?",
	/* STMT_USER_DELETE */
	"DELETE FROM users WHERE id = ?",
	/* STMT_USER_DELETED */
	"INSERT OR IGNORE INTO deleted_users (id) VALUES (?)",
	/* STMT_USER_WAS_DELETED */
	"SELECT 1 FROM deleted_users WHERE id = ?",
	/* STMT_USER_IMPORT */
	"INSERT INTO users (id, username, username_key, email, email_key, "
	"password, is_active, date_joined, last_login) "
	"VALUES (?, ?, ?, ?, ?, ?, ?, ?, nullif(?, 0))",
	/* STMT_SETTING_PUT */
	"INSERT INTO settings (name, value) VALUES (?, ?) "
	"ON CONFLICT (name) DO UPDATE SET value = excluded.value",
	/* STMT_SETTING_DEL */
	"DELETE FROM settings WHERE name = ?",
	/* STMT_PREVIOUS_GET */
	"SELECT k.value, u.value FROM settings k, settings u "
	"WHERE k.name = '" PREVIOUS "' AND u.name = '" PREVIOUS_UNTIL "'",
	/* STMT_ATTEMPT_EXPIRED */
	"DELETE FROM attempts WHERE expires <= ?",
	/* STMT_STATS */
	"SELECT (SELECT count(*) FROM users), "
	"(SELECT count(*) FROM users WHERE is_active), "
	"(SELECT count(*) FROM attempts), "
	"(SELECT page_count * page_size FROM pragma_page_count(), "
	"pragma_page_size())",
	/* STMT_EMAIL_KEYS */
	"SELECT id, email, email_key FROM users ORDER BY id",
	/* STMT_EMAIL_REKEY */
	"UPDATE users SET email_key = ? WHERE id = ?",
	/* STMT_TOKEN_GET */
	"SELECT user_id, kind, at FROM tokens WHERE jti = ?",
	/* STMT_TOKEN_OUT: a logout overrides a spent or fresh row */
	"INSERT INTO tokens (jti, user_id, kind, at, expires) "
	"VALUES (?, ?, ?, ?, ?) "
	"ON CONFLICT (jti) DO UPDATE SET kind = excluded.kind, at = excluded.at",
	/* STMT_TOKEN_KEEP: spent and fresh rows keep what was there */
	"INSERT INTO tokens (jti, user_id, kind, at, expires) "
	"VALUES (?, ?, ?, ?, ?) ON CONFLICT (jti) DO NOTHING",
	/* STMT_TOKEN_TRIM: a few rows of expired tokens, on the normal path */
	"DELETE FROM tokens WHERE jti IN "
	"(SELECT jti FROM tokens WHERE expires <= ? LIMIT 16)",
	/* STMT_TOKEN_UNFRESH */
	"DELETE FROM tokens WHERE user_id = ? AND kind = 2",
	/* STMT_TOKEN_EXPIRED */
	"DELETE FROM tokens WHERE expires <= ?",
	/* STMT_TOKEN_FORGET */
	"DELETE FROM tokens WHERE user_id = ?",
	/* STMT_USER_SWAP */
	"UPDATE users SET password = ?, "
	"tokens_valid_after = max(tokens_valid_after, ?) "
	"WHERE id = ? AND password = ?",
	/* STMT_USER_DELETE_IF */
	"DELETE FROM users WHERE id = ? AND password = ?",
	/* STMT_USER_EMAIL */
	"UPDATE users SET email = ?, email_key = ? WHERE id = ?",
	/* STMT_TOKEN_COUNT */
	"SELECT count(*) FROM tokens",
	/* STMT_NAME_TRY: one more failure, unless the limit is reached */
	"INSERT INTO name_failures (name, bucket, count, expires) "
	"VALUES (?, ?, 1, ?) ON CONFLICT (name, bucket) "
	"DO UPDATE SET count = name_failures.count + 1 "
	"WHERE name_failures.count < ? RETURNING count",
	/* STMT_NAME_ADD: one more failure, whatever the count */
	"INSERT INTO name_failures (name, bucket, count, expires) "
	"VALUES (?, ?, 1, ?) ON CONFLICT (name, bucket) "
	"DO UPDATE SET count = name_failures.count + 1",
	/* STMT_NAME_UNDO: the login succeeded: it was no failure */
	"UPDATE name_failures SET count = count - 1 "
	"WHERE name = ? AND bucket = ? AND count > 0",
	/* STMT_NAME_PURGE */
	"DELETE FROM name_failures WHERE expires <= ?",
	/* STMT_KNOWN_GET */
	"SELECT 1 FROM known_clients WHERE user_id = ? AND client = ? "
	"AND at > ?",
	/* STMT_KNOWN_PUT */
	"INSERT INTO known_clients (user_id, client, at) VALUES (?, ?, ?) "
	"ON CONFLICT (user_id, client) DO UPDATE SET at = excluded.at",
	/* STMT_KNOWN_PURGE */
	"DELETE FROM known_clients WHERE at <= ?",
	/* STMT_EVENT_ADD */
	"INSERT INTO events (at, user_id, event, client, detail) "
	"VALUES (?, nullif(?, 0), ?, nullif(?, ''), nullif(?, ''))",
	/* STMT_EVENT_LOGIN: a failure noted before the hash was a login */
	"UPDATE events SET event = 'login', at = ? WHERE id = ?",
	/* STMT_EVENT_LIST */
	"SELECT id, at, coalesce(user_id, 0), event, coalesce(client, ''), "
	"coalesce(detail, '') FROM events "
	"WHERE (?1 = 0 OR user_id = ?1) AND at >= ?2 ORDER BY id",
	/* STMT_EVENT_PURGE */
	"DELETE FROM events WHERE at < ?",
	/* STMT_EVENT_FORGET: a failure noted before the hash was none */
	"DELETE FROM events WHERE id = ?",
};

/* The schema version that made the tokens table (db/004-tokens.sql). */
#define TOKENS_SCHEMA	4

struct db {
#ifdef WITH_PG
	struct pg	*pg;		/* PostgreSQL's: none of the below */
#endif
	sqlite3		*h;
	sqlite3_stmt	*st[STMT__MAX];
	int		 wal_frames;	/* in the WAL after our last commit */
	int		 depth;		/* begin() calls not yet end()ed */
	long long	 busy_since;	/* µs, when the current wait began */
	unsigned	 jitter;	/* busy_wait's pseudo-random state */
};

static int	write_int(struct db *, enum stmt, long long, const char *,
		    long long *);
static int	login_gate_done(struct db *, long long, long long,
		    const struct db_gate *);

/*
 * Waiting for another writer.  SQLite's own handler sleeps 1, 2, 5, 10,
 * 15, 20, 25... ms, while a write here holds the lock for well under a
 * millisecond, so a waiting writer slept long past the moment the lock
 * was free (a p99 of 50-70 ms for refresh at 16 connections).  This one
 * naps 50 µs, doubling up to 1 ms (10 ms once it has waited 100 ms: a
 * lock held that long is an operator's import or a stuck process, not a
 * request), each nap stretched by up to half at random so that waiters
 * do not wake in step, and gives up (SQLITE_BUSY: a 503) BUSY_TIMEOUT_MS
 * after SQLite first found the lock taken.
 */
static int
busy_wait(void *arg, int count)
{
	struct db	*db = arg;
	struct timespec	 nap;
	long long	 us, now = clock_us();

	if (count == 0) {
		db->busy_since = now;
		if (db->jitter == 0)	/* seeded by the first wait */
			db->jitter = (unsigned)now | 1;
	} else if (now - db->busy_since >= BUSY_TIMEOUT_MS * 1000LL)
		return 0;
	if (now - db->busy_since >= 100000)
		us = 10000;
	else
		us = count < 5 ? 50LL << count : 1000;
	db->jitter = db->jitter * 1103515245u + 12345u;
	us += (long long)((db->jitter >> 16) % (unsigned)(us / 2 + 1));
	nap.tv_sec = 0;
	nap.tv_nsec = (long)(us * 1000);
	nanosleep(&nap, NULL);
	return 1;
}

/* Wait for other writers (busy_wait), or not at all. */
static void
waiting(struct db *db, int on)
{
	sqlite3_busy_handler(db->h, on ? busy_wait : NULL, db);
}

/*
 * Without a close-time checkpoint the WAL outlives the connection, and the
 * next process to open the database reads all of it to rebuild its index;
 * so it is kept short: a writer that leaves this many frames (4 KiB each)
 * truncates it when it closes, or after its answer (db_tidy).
 */
#define WAL_KEEP_FRAMES	64

/*
 * Setting this hook turns SQLite's own checkpoint (at 1000 frames) off:
 * db_tidy, after each answer and at close, is what keeps the WAL short.
 */
static int
wal_written(void *arg, sqlite3 *h, const char *name, int frames)
{
	(void)h;
	(void)name;
	((struct db *)arg)->wal_frames = frames;
	return SQLITE_OK;
}

static void
db_log(const struct db *db, const char *where)
{
	const char	*path = sqlite3_db_filename(db->h, "main");

	fprintf(stderr, "db: %s: %s: %s\n", path != NULL && *path != '\0' ?
	    path : ":memory:", where, sqlite3_errmsg(db->h));
}

/* The prepared statement s, reset and unbound, or NULL (logged). */
static sqlite3_stmt *
stmt(struct db *db, enum stmt s)
{
	if (db->st[s] == NULL) {
		if (sqlite3_prepare_v3(db->h, stmts[s], -1,
		    SQLITE_PREPARE_PERSISTENT, &db->st[s], NULL) != SQLITE_OK) {
			db_log(db, "prepare");
			return NULL;
		}
	} else {
		sqlite3_reset(db->st[s]);
		sqlite3_clear_bindings(db->st[s]);
	}
	return db->st[s];
}

/* Run SQL that returns no rows; what names it in the log (one line). */
static int
exec(struct db *db, const char *sql, const char *what)
{
	if (sqlite3_exec(db->h, sql, NULL, NULL, NULL) != SQLITE_OK) {
		db_log(db, what);
		return -1;
	}
	return 0;
}

/*
 * Switch a new database to WAL.  That needs the file to itself, and when
 * a new database's first requests arrive together SQLite answers busy at
 * once instead of calling busy_wait (it will not wait while holding a
 * read lock); so the wait is done here, within the same limit.
 */
static int
wal_mode(struct db *db)
{
	int	 rc, count = 0;

	while (((rc = sqlite3_exec(db->h, "PRAGMA journal_mode = WAL", NULL,
	    NULL, NULL)) & 0xff) == SQLITE_BUSY && busy_wait(db, count++))
		continue;
	if (rc != SQLITE_OK) {
		db_log(db, "wal");
		return -1;
	}
	return 0;
}

/* BEGIN IMMEDIATE, unless a transaction of db_begin's is already open. */
static int
begin(struct db *db)
{
	if (db->depth > 0) {
		db->depth++;
		return 0;
	}
	if (exec(db, "BEGIN IMMEDIATE", "begin") == -1)
		return -1;
	db->depth = 1;
	return 0;
}

/*
 * The outermost end() does COMMIT if ok is 0, else ROLLBACK; returns ok, or
 * -1 if COMMIT failed.  An inner end() leaves that to the outermost.
 */
static int
end(struct db *db, int ok)
{
	if (--db->depth > 0)
		return ok;
	db->depth = 0;
	if (ok == 0 && exec(db, "COMMIT", "commit") == 0)
		return 0;
	if (!sqlite3_get_autocommit(db->h))
		sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
	return ok == 0 ? -1 : ok;
}

int
db_begin(struct db *db)
{
	PG_ROUTE(db, pg_begin(db->pg));
	return begin(db);
}

int
db_end(struct db *db, int failed)
{
	PG_ROUTE(db, pg_end(db->pg, failed));
	/* end() returns what it was given after a rollback, -1 if COMMIT failed. */
	return end(db, failed ? 1 : 0) == -1 ? -1 : 0;
}

static int
user_version(struct db *db, int *version)
{
	sqlite3_stmt	*s = NULL;
	int		 rc;

	if (sqlite3_prepare_v2(db->h, "PRAGMA user_version", -1, &s, NULL) !=
	    SQLITE_OK || (rc = sqlite3_step(s)) != SQLITE_ROW) {
		db_log(db, "user_version");
		sqlite3_finalize(s);
		return -1;
	}
	*version = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return 0;
}

/* A user's id, email and email key, read before any is changed. */
struct rekey {
	long long	 id;
	char		*email;
	char		*key;
};

static char	*column_dup(sqlite3_stmt *, int);

/* Give user r the email key key, unless another user has it: 0 or -1. */
static int
rekey_one(struct db *db, const struct rekey *r, const char *key)
{
	sqlite3_stmt	*s;
	struct user	 other;
	int		 found, rc = -1;

	if (strcmp(key, r->key) == 0)
		return 0;
	if (*key != '\0' && (found = db_user_by_key(db, 1, key, &other)) != 0) {
		if (found == 1)
			fprintf(stderr, "db: rekey: user %lld has the address of "
			    "user %lld; both kept (authctl check names them)\n",
			    r->id, other.id);
		db_user_free(&other);
		return found == 1 ? 0 : -1;
	}
	if ((s = stmt(db, STMT_EMAIL_REKEY)) != NULL &&
	    sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC) == SQLITE_OK &&
	    sqlite3_bind_int64(s, 2, r->id) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_DONE)
		rc = 0;
	else
		db_log(db, "rekey");
	if (s != NULL)
		sqlite3_reset(s);
	return rc;
}

/*
 * Migration 3 (db/003-email-keys.sql): every email key rebuilt with
 * names_key(), which register and login use.  A user whose new key is
 * already another user's keeps the old one (both accounts stay; authctl
 * check names them), checked before the UPDATE so that no statement
 * fails (PostgreSQL would abort the transaction).  Returns 0 or -1.
 */
static int
rekey_emails(struct db *db)
{
	sqlite3_stmt	*s;
	struct rekey	*r = NULL, *nr;
	char		*key;
	size_t		 n = 0, cap = 0, i;
	int		 rc = -1, step;

	if ((s = stmt(db, STMT_EMAIL_KEYS)) == NULL)
		return -1;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap == 0 ? 256 : 2 * cap;
			if ((nr = realloc(r, cap * sizeof(*r))) == NULL)
				break;
			r = nr;
		}
		r[n].id = sqlite3_column_int64(s, 0);
		r[n].email = column_dup(s, 1);
		r[n].key = column_dup(s, 2);
		n++;
		if (r[n - 1].email == NULL || r[n - 1].key == NULL)
			break;
	}
	sqlite3_reset(s);
	if (step != SQLITE_DONE) {
		if (step == SQLITE_ROW)
			fprintf(stderr, "db: rekey: out of memory\n");
		else
			db_log(db, "rekey");
		goto out;
	}
	for (i = 0; i < n; i++) {
		if ((key = names_key(NAMES_EMAIL, r[i].email)) == NULL) {
			fprintf(stderr, "db: rekey: user %lld: an email that is "
			    "not UTF-8, or no memory\n", r[i].id);
			goto out;
		}
		step = rekey_one(db, &r[i], key);
		free(key);
		if (step == -1)
			goto out;
	}
	rc = 0;
out:
	for (i = 0; i < n; i++) {
		free(r[i].email);
		free(r[i].key);
	}
	free(r);
	return rc;
}

/*
 * What a migration needs besides its SQL, run after it in its transaction
 * (NULL: nothing), indexed as migrations[].
 */
static int (*const migration_code[])(struct db *) = {
	NULL,		/* 001-schema.sql */
	NULL,		/* 002-authctl.sql */
	rekey_emails,	/* 003-email-keys.sql */
	NULL,		/* 004-tokens.sql */
	NULL,		/* 005-throttle-audit.sql */
};
_Static_assert(sizeof(migration_code) / sizeof(migration_code[0]) ==
    sizeof(migrations) / sizeof(migrations[0]),
    "a migration_code entry for each db/NNN-*.sql");

/*
 * Apply the migrations the file lacks, each with its version bump in one
 * transaction; BEGIN IMMEDIATE makes concurrent first requests take turns.
 */
static int
migrate(struct db *db)
{
	char	 sql[64];
	int	 v, rc = 0;

	if (user_version(db, &v) == -1)
		return -1;
	if (v == SCHEMA_VERSION)
		return 0;
	if (v > SCHEMA_VERSION) {
		fprintf(stderr, "db: schema version %d is newer than this "
		    "program's %d\n", v, SCHEMA_VERSION);
		return -1;
	}
	/* WAL is a property of the file, and cannot be set in a transaction. */
	if (v == 0 && wal_mode(db) == -1)
		return -1;
	if (begin(db) == -1)
		return -1;
	if (user_version(db, &v) == -1)
		rc = -1;
	for (; rc == 0 && v < SCHEMA_VERSION; v++) {
		if (exec(db, migrations[v], "migration") == -1 ||
		    (migration_code[v] != NULL && migration_code[v](db) == -1) ||
		    snprintf(sql, sizeof(sql), "PRAGMA user_version = %d",
		    v + 1) >= (int)sizeof(sql) ||
		    exec(db, sql, "user_version") == -1)
			rc = -1;
	}
	return end(db, rc);
}

/* The directory path is in, into buf: 0, or -1 if it does not fit. */
static int
dir_of(const char *path, char *buf, size_t n)
{
	char	*slash;

	if ((size_t)snprintf(buf, n, "%s", path) >= n)
		return -1;
	if ((slash = strrchr(buf, '/')) == NULL)
		snprintf(buf, n, ".");
	else
		*(slash == buf ? slash + 1 : slash) = '\0';
	return 0;
}

/*
 * Create the database file, 0600.  Made by root (authctl), it is given to
 * the owner of its directory, the web server's user: a root-owned file
 * would lock the endpoints out (SQLite gives its -wal and -shm files the
 * database's owner in turn).  Returns the descriptor, or -1 with errno.
 */
static int
create(const char *path)
{
	char		 dir[4200];
	struct stat	 sb;
	int		 fd, saved;

	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
	    0600);
	if (fd == -1 && errno == EEXIST)	/* a concurrent first request */
		return open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (fd == -1 || geteuid() != 0)
		return fd;
	if (dir_of(path, dir, sizeof(dir)) == 0 && stat(dir, &sb) == 0 &&
	    sb.st_uid != 0 && fchown(fd, sb.st_uid, sb.st_gid) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

/* Whether AUTH_DB names PostgreSQL: libpq's two URI prefixes. */
static int
is_pg_uri(const char *path)
{
	return path != NULL && (strncmp(path, "postgresql://", 13) == 0 ||
	    strncmp(path, "postgres://", 11) == 0);
}

struct db *
db_open(const char *path, int mode)
{
	struct db	*db;
	int		 fd = -1, flags = SQLITE_OPEN_READWRITE;

	if ((db = calloc(1, sizeof(*db))) == NULL) {
		fprintf(stderr, "db: calloc: %s\n", strerror(errno));
		return NULL;
	}
	/* Never a file named "postgresql:...". */
	if (is_pg_uri(path)) {
#ifdef WITH_PG
		if ((db->pg = pg_open(path, mode)) != NULL)
			return db;
#else
		fprintf(stderr, "db: AUTH_DB is a PostgreSQL URI, but this "
		    "build has no PostgreSQL (make DB=postgresql)\n");
#endif
		free(db);
		return NULL;
	}
	/*
	 * Open (or create) the file ourselves first: a new file is then 0600
	 * from its first moment (SQLite would make it 0644, and gives the
	 * -wal and -shm files the database's mode), and a file we cannot
	 * write is refused here, before SQLite would leave read-only -wal and
	 * -shm files behind that outlast a later chmod.  No O_TRUNC: an
	 * existing file, even a corrupt one, is never replaced.
	 */
	if (path == NULL) {
		path = ":memory:";
		flags |= SQLITE_OPEN_MEMORY;
	} else if ((fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW)) == -1 &&
	    (errno != ENOENT || (mode != DB_CREATE && mode != DB_SERVE) ||
	    (fd = create(path)) == -1)) {
		fprintf(stderr, "db: %s: %s\n", path, strerror(errno));
		free(db);
		return NULL;
	}
	if (fd != -1)
		close(fd);
	/*
	 * No bulk page-cache allocation: SQLite would otherwise touch 20
	 * pages' worth of memory at the first read, where a request reads
	 * about five (page faults are much of a CGI request's cost).  Only
	 * possible before SQLite initializes: at a later open in the same
	 * process it is refused, harmlessly (the setting stands).
	 */
	(void)sqlite3_config(SQLITE_CONFIG_PAGECACHE, NULL, 0, 0);
	if (sqlite3_open_v2(path, &db->h, flags, NULL) != SQLITE_OK) {
		fprintf(stderr, "db: %s: %s\n", path, db->h != NULL ?
		    sqlite3_errmsg(db->h) : "out of memory");
		db_close(db);
		return NULL;
	}
	waiting(db, 1);
	/*
	 * SQLite's checkpoint when the last connection closes costs a CGI
	 * write more than the rest of the request (bench/NOTES.md); instead
	 * db_close truncates the WAL only once it holds WAL_KEEP_FRAMES.
	 */
	sqlite3_db_config(db->h, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
	sqlite3_wal_hook(db->h, wal_written, db);
	if (exec(db, "PRAGMA synchronous = NORMAL", "synchronous") == -1 ||
	    (mode != DB_INSPECT && migrate(db) == -1)) {
		db_close(db);
		return NULL;
	}
	return db;
}

void
db_keep(struct db *db)
{
#ifdef WITH_PG
	if (db != NULL && db->pg != NULL)
		pg_keep(db->pg);
#else
	(void)db;
#endif
}

int
db_prepares(struct db *db)
{
	PG_ROUTE(db, pg_prepares(db->pg));
	(void)db;
	return 1;	/* SQLite's statements are prepared once per handle */
}

void
db_tidy(struct db *db)
{
	if (db == NULL)
		return;
#ifdef WITH_PG
	if (db->pg != NULL) {
		pg_tidy(db->pg);
		return;
	}
#endif
	if (db->wal_frames < WAL_KEEP_FRAMES)
		return;
	/* Not waiting: if readers are busy, the next answer tries again. */
	waiting(db, 0);
	switch (sqlite3_wal_checkpoint_v2(db->h, NULL,
	    SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL)) {
	case SQLITE_OK:
		db->wal_frames = 0;
		break;
	case SQLITE_BUSY:
		break;
	default:
		db_log(db, "checkpoint");
		break;
	}
	waiting(db, 1);
}

void
db_close(struct db *db)
{
	int	 i;

	if (db == NULL)
		return;
#ifdef WITH_PG
	if (db->pg != NULL) {
		pg_close(db->pg);
		free(db);
		return;
	}
#endif
	for (i = 0; i < STMT__MAX; i++)
		sqlite3_finalize(db->st[i]);
	db_tidy(db);
	sqlite3_close(db->h);
	free(db);
}

long long
db_now(struct db *db)
{
	PG_ROUTE(db, pg_now(db->pg));
	(void)db;	/* SQLite's clock is this host's */
	return (long long)time(NULL);
}

/*
 * A stored key, the first column of the row statement k finds, into buf
 * (size *len, updated), and the second column into *until if it is not
 * NULL: 1 found, 0 none, -1 error.
 */
static int
key_row(struct db *db, enum stmt k, const char *what, unsigned char *buf,
    size_t *len, long long *until)
{
	sqlite3_stmt	*s;
	int		 rc, n;

	if ((s = stmt(db, k)) == NULL)
		return -1;
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE)
		rc = 0;
	else if (rc != SQLITE_ROW) {
		db_log(db, what);
		rc = -1;
	} else if ((n = sqlite3_column_bytes(s, 0)) <= 0 ||
	    (size_t)n > *len) {
		fprintf(stderr, "db: %s: stored key of %d bytes\n", what, n);
		rc = -1;
	} else {
		memcpy(buf, sqlite3_column_blob(s, 0), (size_t)n);
		*len = (size_t)n;
		if (until != NULL)
			*until = sqlite3_column_int64(s, 1);
		rc = 1;
	}
	sqlite3_reset(s);
	return rc;
}

int
db_secret_get(struct db *db, unsigned char *buf, size_t *len)
{
	PG_ROUTE(db, pg_secret_get(db->pg, buf, len));
	return key_row(db, STMT_SECRET_GET, "secret_get", buf, len, NULL);
}

int
db_secret_put(struct db *db, const unsigned char *key, size_t len)
{
	sqlite3_stmt	*s;
	int		 rc = -1;

	PG_ROUTE(db, pg_secret_put(db->pg, key, len));
	if (begin(db) == -1)
		return -1;
	if ((s = stmt(db, STMT_SECRET_PUT)) != NULL &&
	    sqlite3_bind_blob(s, 1, key, (int)len, SQLITE_STATIC) == SQLITE_OK) {
		if (sqlite3_step(s) == SQLITE_DONE)
			rc = 0;
		else
			db_log(db, "secret_put");
		sqlite3_reset(s);
	}
	return end(db, rc);
}

int
db_attempt(struct db *db, int scope, const char *client, long long bucket,
    long long expires, long long *count)
{
	sqlite3_stmt	*s;
	int		 rc = -1;

	PG_ROUTE(db, pg_attempt(db->pg, scope, client, bucket, expires,
	    count));
	if (begin(db) == -1)
		return -1;
	/* Old windows go first, so the table holds one window at most. */
	if ((s = stmt(db, STMT_ATTEMPT_PURGE)) == NULL ||
	    sqlite3_bind_int64(s, 1, bucket) != SQLITE_OK ||
	    sqlite3_step(s) != SQLITE_DONE) {
		db_log(db, "attempt_purge");
		return end(db, -1);
	}
	if ((s = stmt(db, STMT_ATTEMPT_HIT)) != NULL &&
	    sqlite3_bind_int(s, 1, scope) == SQLITE_OK &&
	    sqlite3_bind_text(s, 2, client, -1, SQLITE_STATIC) == SQLITE_OK &&
	    sqlite3_bind_int64(s, 3, bucket) == SQLITE_OK &&
	    sqlite3_bind_int64(s, 4, expires) == SQLITE_OK) {
		if (sqlite3_step(s) == SQLITE_ROW) {
			*count = sqlite3_column_int64(s, 0);
			if (sqlite3_step(s) == SQLITE_DONE)
				rc = 0;
		}
		if (rc == -1)
			db_log(db, "attempt_hit");
		sqlite3_reset(s);
	}
	return end(db, rc);
}

static char *
column_dup(sqlite3_stmt *s, int col)
{
	const unsigned char	*t = sqlite3_column_text(s, col);

	return strdup(t != NULL ? (const char *)t : "");
}

/* Step a user SELECT to its next row, filling u: 1, 0 (no more) or -1. */
static int
user_step(struct db *db, sqlite3_stmt *s, struct user *u)
{
	int	 rc;

	memset(u, 0, sizeof(*u));
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE)
		rc = 0;
	else if (rc != SQLITE_ROW) {
		db_log(db, "user");
		rc = -1;
	} else {
		u->id = sqlite3_column_int64(s, 0);
		u->username = column_dup(s, 1);
		u->email = column_dup(s, 2);
		u->password = column_dup(s, 3);
		u->is_active = sqlite3_column_int(s, 4) != 0;
		u->date_joined = sqlite3_column_int64(s, 5);
		u->last_login = sqlite3_column_int64(s, 6);
		u->tokens_valid_after = sqlite3_column_int64(s, 7);
		rc = 1;
		if (u->username == NULL || u->email == NULL ||
		    u->password == NULL) {
			fprintf(stderr, "db: user: out of memory\n");
			db_user_free(u);
			rc = -1;
		}
	}
	return rc;
}

/* Run a user SELECT whose parameters are bound: 1, 0 or -1. */
static int
user_row(struct db *db, sqlite3_stmt *s, struct user *u)
{
	int	 rc = user_step(db, s, u);

	sqlite3_reset(s);
	return rc;
}

int
db_user_by_id(struct db *db, long long id, struct user *u)
{
	sqlite3_stmt	*s;

	PG_ROUTE(db, pg_user_by_id(db->pg, id, u));
	memset(u, 0, sizeof(*u));
	if ((s = stmt(db, STMT_USER_BY_ID)) == NULL ||
	    sqlite3_bind_int64(s, 1, id) != SQLITE_OK)
		return -1;
	return user_row(db, s, u);
}

int
db_user_with_key(struct db *db, long long id, struct user *u,
    unsigned char *key, size_t *keylen)
{
	int	 found;

	PG_ROUTE(db, pg_user_with_key(db->pg, id, u, key, keylen));
	/* A local file: no round trip to save, the two reads as before. */
	memset(u, 0, sizeof(*u));
	if ((found = db_secret_get(db, key, keylen)) == -1)
		return -1;
	if (found == 0)
		*keylen = 0;
	return db_user_by_id(db, id, u);
}

int
db_user_by_key(struct db *db, int is_email, const char *key, struct user *u)
{
	sqlite3_stmt	*s;

	PG_ROUTE(db, pg_user_by_key(db->pg, is_email, key, u));
	memset(u, 0, sizeof(*u));
	if ((s = stmt(db, is_email ? STMT_USER_BY_EMAIL :
	    STMT_USER_BY_NAME)) == NULL ||
	    sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC) != SQLITE_OK)
		return -1;
	return user_row(db, s, u);
}

void
db_user_free(struct user *u)
{
	if (u == NULL)
		return;
	free(u->username);
	free(u->email);
	if (u->password != NULL) {
		crypto_cleanse(u->password, strlen(u->password));
		free(u->password);
	}
	memset(u, 0, sizeof(*u));
}

/*
 * Roll back the transaction a new user was to be inserted in, because it
 * broke the rule why: 0 with *taken set, or -1.
 */
static int
refuse(struct db *db, enum db_taken why, enum db_taken *taken)
{
	*taken = why;
	return end(db, 1) == 1 ? 0 : -1;
}

int
db_user_add(struct db *db, const struct user *u, const char *username_key,
    const char *email_key, long long now, long long *id, enum db_taken *taken)
{
	sqlite3_stmt	*s;
	struct user	 other;
	int		 rc = -1, found;

	PG_ROUTE(db, pg_user_add(db->pg, u, username_key, email_key, now, id,
	    taken));
	*taken = DB_FREE;
	if (begin(db) == -1)
		return -1;
	if ((s = stmt(db, STMT_USER_ADD)) == NULL ||
	    sqlite3_bind_text(s, 1, u->username, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(s, 2, username_key, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(s, 3, u->email, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(s, 4, email_key, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(s, 5, u->password, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 6, now) != SQLITE_OK) {
		db_log(db, "user_add");
		return end(db, -1);
	}
	if (sqlite3_step(s) == SQLITE_DONE) {
		*id = sqlite3_last_insert_rowid(db->h);
		rc = 0;
		if (*id >= DB_ID_LIMIT) {	/* rolled back: no tokens for it */
			fprintf(stderr, "db: user_add: ids are used up to "
			    "2^53\n");
			rc = -1;
		}
	} else if (sqlite3_extended_errcode(db->h) == SQLITE_CONSTRAINT_UNIQUE) {
		/* A concurrent registration won: say which name it took. */
		sqlite3_reset(s);
		found = db_user_by_key(db, 0, username_key, &other);
		db_user_free(&other);
		if (found != -1)
			return refuse(db, found == 1 ? DB_TAKEN_USERNAME :
			    DB_TAKEN_EMAIL, taken);
	} else
		db_log(db, "user_add");
	sqlite3_reset(s);
	return end(db, rc);
}

int
db_event(struct db *db, long long at, const char *event, long long user_id,
    const char *client, const char *detail)
{
	sqlite3_stmt	*s;
	int		 rc = -1;

	PG_ROUTE(db, pg_event(db->pg, at, event, user_id, client, detail));
	if (begin(db) == -1)
		return -1;
	if ((s = stmt(db, STMT_EVENT_ADD)) != NULL &&
	    sqlite3_bind_int64(s, 1, at) == SQLITE_OK &&
	    sqlite3_bind_int64(s, 2, user_id) == SQLITE_OK &&
	    sqlite3_bind_text(s, 3, event, -1, SQLITE_STATIC) == SQLITE_OK &&
	    sqlite3_bind_text(s, 4, client != NULL ? client : "", -1,
	    SQLITE_STATIC) == SQLITE_OK &&
	    sqlite3_bind_text(s, 5, detail != NULL ? detail : "", -1,
	    SQLITE_STATIC) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_DONE)
		rc = 0;
	else
		db_log(db, "event");
	if (s != NULL)
		sqlite3_reset(s);
	return end(db, rc);
}

/* Is client one that logged in to user id since since?  1, 0 or -1. */
static int
known_client(struct db *db, long long id, const char *client,
    long long since)
{
	sqlite3_stmt	*s;
	int		 rc = -1, step;

	if ((s = stmt(db, STMT_KNOWN_GET)) == NULL ||
	    sqlite3_bind_int64(s, 1, id) != SQLITE_OK ||
	    sqlite3_bind_text(s, 2, client, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 3, since) != SQLITE_OK)
		db_log(db, "known_client");
	else if ((step = sqlite3_step(s)) == SQLITE_ROW || step == SQLITE_DONE)
		rc = step == SQLITE_ROW;
	else
		db_log(db, "known_client");
	if (s != NULL)
		sqlite3_reset(s);
	return rc;
}

/*
 * The name's failure count of the gate: reserve one (below the limit), or
 * for a known client count one anyway.  Sets g->reserved and g->verdict.
 */
static int
name_gate(struct db *db, struct db_gate *g)
{
	sqlite3_stmt	*s;
	int		 rc = -1, step, known = 0;

	if (write_int(db, STMT_NAME_PURGE, g->now, "name_purge", NULL) == -1 ||
	    (s = stmt(db, STMT_NAME_TRY)) == NULL ||
	    sqlite3_bind_text(s, 1, g->name, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 2, g->name_bucket) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 3, g->name_expires) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 4, g->name_max) != SQLITE_OK) {
		db_log(db, "name_gate");
		return -1;
	}
	if ((step = sqlite3_step(s)) == SQLITE_ROW) {
		g->reserved = 1;	/* counted, below the limit */
		step = sqlite3_step(s);
	}
	sqlite3_reset(s);
	if (step != SQLITE_DONE) {
		db_log(db, "name_gate");
		return -1;
	}
	if (g->reserved)
		return 0;
	/* At the limit: only a client that logged in to it goes on. */
	if (g->user_id != 0 && (known = known_client(db, g->user_id,
	    g->client, g->known_since)) == -1)
		return -1;
	if (!known) {
		g->verdict = DB_GATE_NAME;
		return db_event(db, g->now, "login_throttled", g->user_id,
		    g->client, NULL);
	}
	if ((s = stmt(db, STMT_NAME_ADD)) != NULL &&
	    sqlite3_bind_text(s, 1, g->name, -1, SQLITE_STATIC) == SQLITE_OK &&
	    sqlite3_bind_int64(s, 2, g->name_bucket) == SQLITE_OK &&
	    sqlite3_bind_int64(s, 3, g->name_expires) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_DONE) {
		g->reserved = 1;
		rc = 0;
	} else
		db_log(db, "name_gate");
	if (s != NULL)
		sqlite3_reset(s);
	return rc;
}

int
db_login_gate(struct db *db, struct db_gate *g)
{
	int	 rc = 0;

	PG_ROUTE(db, pg_login_gate(db->pg, g));
	g->verdict = DB_GATE_OPEN;
	g->reserved = 0;
	g->event_id = 0;
	g->count = 0;
	if (begin(db) == -1)
		return -1;
	/* SPEC "Per-account throttle": the per-client counter first. */
	if (g->client_max > 0 && (rc = db_attempt(db, g->scope, g->client,
	    g->client_bucket, g->client_expires, &g->count)) == 0 &&
	    g->count > g->client_max)
		g->verdict = DB_GATE_CLIENT;
	if (rc == 0 && g->verdict == DB_GATE_OPEN && g->name_max > 0)
		rc = name_gate(db, g);
	/*
	 * A failure until the password says otherwise: noted now, in the
	 * transaction that counts it, and turned into the login if it was.
	 */
	if (rc == 0 && g->verdict == DB_GATE_OPEN && g->user_id != 0) {
		if ((rc = db_event(db, g->now, "login_failed", g->user_id,
		    g->client, NULL)) == 0)
			g->event_id = sqlite3_last_insert_rowid(db->h);
	}
	return end(db, rc);
}

int
db_user_login(struct db *db, long long id, long long now, const char *oldhash,
    const char *newhash, const struct db_gate *g)
{
	sqlite3_stmt	*s;
	int		 rc = -1;

	PG_ROUTE(db, pg_user_login(db->pg, id, now, oldhash, newhash, g));
	if (begin(db) == -1)
		return -1;
	if ((s = stmt(db, STMT_USER_LOGIN)) != NULL &&
	    sqlite3_bind_int64(s, 1, now) == SQLITE_OK &&
	    (oldhash == NULL ? sqlite3_bind_null(s, 2) :
	    sqlite3_bind_text(s, 2, oldhash, -1, SQLITE_STATIC)) == SQLITE_OK &&
	    (newhash == NULL ? sqlite3_bind_null(s, 3) :
	    sqlite3_bind_text(s, 3, newhash, -1, SQLITE_STATIC)) == SQLITE_OK &&
	    sqlite3_bind_int64(s, 4, id) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_DONE)
		rc = 0;
	else
		db_log(db, "user_login");
	if (s != NULL)
		sqlite3_reset(s);
	if (rc == 0 && g != NULL)
		rc = login_gate_done(db, id, now, g);
	return end(db, rc);
}

/* The failure the gate reserved for the name was none: 0 or -1. */
static int
name_undo(struct db *db, const struct db_gate *g)
{
	sqlite3_stmt	*s;
	int		 rc = -1;

	if (!g->reserved)
		return 0;
	if ((s = stmt(db, STMT_NAME_UNDO)) != NULL &&
	    sqlite3_bind_text(s, 1, g->name, -1, SQLITE_STATIC) == SQLITE_OK &&
	    sqlite3_bind_int64(s, 2, g->name_bucket) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_DONE)
		rc = 0;
	else
		db_log(db, "name_undo");
	if (s != NULL)
		sqlite3_reset(s);
	return rc;
}

int
db_login_undo(struct db *db, const struct db_gate *g)
{
	int	 rc;

	PG_ROUTE(db, pg_login_undo(db->pg, g));
	if (begin(db) == -1)
		return -1;
	rc = name_undo(db, g);
	if (rc == 0 && g->event_id != 0)
		rc = write_int(db, STMT_EVENT_FORGET, g->event_id,
		    "event_forget", NULL);
	return end(db, rc);
}

/*
 * A login that passed its gate succeeded: the client is known to the
 * account from now on, the name's reserved failure was none, and the
 * failure noted before the hash was the login.  0 or -1.
 */
static int
login_gate_done(struct db *db, long long id, long long now,
    const struct db_gate *g)
{
	sqlite3_stmt	*s;
	int		 rc = -1;

	if ((s = stmt(db, STMT_KNOWN_PUT)) != NULL &&
	    sqlite3_bind_int64(s, 1, id) == SQLITE_OK &&
	    sqlite3_bind_text(s, 2, g->client, -1, SQLITE_STATIC) == SQLITE_OK &&
	    sqlite3_bind_int64(s, 3, now) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_DONE)
		rc = 0;
	else
		db_log(db, "known_put");
	if (s != NULL)
		sqlite3_reset(s);
	if (rc == 0)
		rc = name_undo(db, g);
	if (rc != 0)
		return -1;
	if (g->event_id == 0)
		return db_event(db, now, "login", id, g->client, NULL);
	if ((s = stmt(db, STMT_EVENT_LOGIN)) != NULL &&
	    sqlite3_bind_int64(s, 1, now) == SQLITE_OK &&
	    sqlite3_bind_int64(s, 2, g->event_id) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_DONE)
		rc = 0;
	else {
		db_log(db, "event_login");
		rc = -1;
	}
	if (s != NULL)
		sqlite3_reset(s);
	return rc;
}

int
db_events(struct db *db, long long user_id, long long since,
    int (*fn)(const struct db_eventrow *, void *), void *arg)
{
	struct db_eventrow e;
	sqlite3_stmt	*s;
	int		 rc = 0, step;

	PG_ROUTE(db, pg_events(db->pg, user_id, since, fn, arg));
	if ((s = stmt(db, STMT_EVENT_LIST)) == NULL ||
	    sqlite3_bind_int64(s, 1, user_id) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 2, since) != SQLITE_OK) {
		db_log(db, "events");
		return -1;
	}
	while (rc == 0 && (step = sqlite3_step(s)) == SQLITE_ROW) {
		e.id = sqlite3_column_int64(s, 0);
		e.at = sqlite3_column_int64(s, 1);
		e.user_id = sqlite3_column_int64(s, 2);
		e.event = (const char *)sqlite3_column_text(s, 3);
		e.client = (const char *)sqlite3_column_text(s, 4);
		e.detail = (const char *)sqlite3_column_text(s, 5);
		if (e.event == NULL || e.client == NULL || e.detail == NULL) {
			fprintf(stderr, "db: events: out of memory\n");
			rc = -1;
		} else
			rc = fn(&e, arg) == 0 ? 0 : 1;
	}
	if (rc == 0 && step != SQLITE_DONE) {
		db_log(db, "events");
		rc = -1;
	}
	sqlite3_reset(s);
	return rc == -1 ? -1 : 0;
}

int
db_user_each(struct db *db, int (*fn)(const struct user *, void *), void *arg)
{
	sqlite3_stmt	*s;
	struct user	 u;
	int		 rc;

	PG_ROUTE(db, pg_user_each(db->pg, fn, arg));
	if ((s = stmt(db, STMT_USER_LIST)) == NULL)
		return -1;
	while ((rc = user_step(db, s, &u)) == 1) {
		rc = fn(&u, arg);
		db_user_free(&u);
		if (rc != 0)
			break;
	}
	sqlite3_reset(s);
	return rc == -1 ? -1 : 0;
}

/*
 * Run the prepared statement s of what, whose parameters are bound, as
 * one write to one user: 1 if it changed a row, 0 if none, -1 on error.
 */
static int
user_write(struct db *db, sqlite3_stmt *s, const char *what)
{
	int	 rc = -1;

	if (begin(db) == -1) {
		sqlite3_reset(s);
		return -1;
	}
	if (sqlite3_step(s) == SQLITE_DONE)
		rc = sqlite3_changes(db->h) > 0;
	else
		db_log(db, what);
	sqlite3_reset(s);
	return end(db, rc == -1 ? -1 : 0) == -1 ? -1 : rc;
}

/*
 * Run statement k with the one integer parameter v, as a write that may
 * change any number of rows; sets *changes unless it is NULL.  0 or -1.
 */
static int
write_int(struct db *db, enum stmt k, long long v, const char *what,
    long long *changes)
{
	sqlite3_stmt	*s;
	int		 rc = -1;

	if ((s = stmt(db, k)) != NULL &&
	    sqlite3_bind_int64(s, 1, v) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_DONE) {
		rc = 0;
		if (changes != NULL)
			*changes = sqlite3_changes64(db->h);
	} else
		db_log(db, what);
	if (s != NULL)
		sqlite3_reset(s);
	return rc;
}

/*
 * A revocation makes the user's tokens issued in its second after an
 * earlier revocation (DB_TOKEN_FRESH) as revoked as the others.
 */
static int
unfresh(struct db *db, long long id)
{
	return write_int(db, STMT_TOKEN_UNFRESH, id, "token_unfresh", NULL);
}

/*
 * A revocation: run s (its other parameters bound) with parameter n bound
 * to the current second, read once the write lock is held, so that no
 * token can be issued between reading the clock and the commit in a later
 * second than the one recorded; if the clock turned over before the
 * commit, again with the new second.  Sets *at to the second recorded.
 * Returns as user_write.
 */
static int
revoke_at(struct db *db, sqlite3_stmt *s, int n, long long id,
    const char *what, long long *at)
{
	int	 rc;

	do {
		if (begin(db) == -1)
			return -1;
		*at = (long long)time(NULL);
		if (sqlite3_bind_int64(s, n, *at) != SQLITE_OK)
			rc = -1;
		else
			rc = user_write(db, s, what);
		if (rc == 1 && unfresh(db, id) == -1)
			rc = -1;
		if (end(db, rc == -1 ? -1 : 0) == -1)
			return -1;
	} while (rc == 1 && (long long)time(NULL) != *at);
	return rc;
}

int
db_user_password(struct db *db, long long id, const char *hash,
    long long *at)
{
	sqlite3_stmt	*s;

	PG_ROUTE(db, pg_user_password(db->pg, id, hash, at));
	if ((s = stmt(db, STMT_USER_PASSWORD)) == NULL ||
	    sqlite3_bind_text(s, 1, hash, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 3, id) != SQLITE_OK)
		return -1;
	return revoke_at(db, s, 2, id, "user_password", at);
}

int
db_user_revoke(struct db *db, long long id, long long *at)
{
	sqlite3_stmt	*s;

	PG_ROUTE(db, pg_user_revoke(db->pg, id, at));
	if ((s = stmt(db, STMT_USER_REVOKE)) == NULL ||
	    sqlite3_bind_int64(s, 2, id) != SQLITE_OK)
		return -1;
	return revoke_at(db, s, 1, id, "user_revoke", at);
}

int
db_user_active(struct db *db, long long id, int active)
{
	sqlite3_stmt	*s;

	PG_ROUTE(db, pg_user_active(db->pg, id, active));
	if ((s = stmt(db, STMT_USER_ACTIVE)) == NULL ||
	    sqlite3_bind_int(s, 1, active != 0) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 2, id) != SQLITE_OK)
		return -1;
	return user_write(db, s, "user_active");
}

int
db_user_delete(struct db *db, long long id, const char *hash)
{
	sqlite3_stmt	*s;
	int		 rc = -1;

	PG_ROUTE(db, pg_user_delete(db->pg, id, hash));
	if (begin(db) == -1)
		return -1;
	if ((s = stmt(db, STMT_USER_DELETED)) != NULL &&
	    sqlite3_bind_int64(s, 1, id) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_DONE &&
	    (s = stmt(db, hash != NULL ? STMT_USER_DELETE_IF :
	    STMT_USER_DELETE)) != NULL &&
	    sqlite3_bind_int64(s, 1, id) == SQLITE_OK &&
	    (hash == NULL || sqlite3_bind_text(s, 2, hash, -1, SQLITE_STATIC) ==
	    SQLITE_OK))
		rc = user_write(db, s, "user_delete");
	else
		db_log(db, "user_delete");
	if (s != NULL)
		sqlite3_reset(s);
	/* Its remembered tokens name nobody now. */
	if (rc == 1 && write_int(db, STMT_TOKEN_FORGET, id, "token_forget",
	    NULL) == -1)
		rc = -1;
	if (rc == 1)
		return end(db, 0) == 0 ? 1 : -1;
	end(db, -1);	/* no such user: nothing to remember either */
	return rc;
}

int
db_user_swap_password(struct db *db, long long id, const char *old,
    const char *hash, long long at)
{
	sqlite3_stmt	*s;
	int		 rc = -1;

	PG_ROUTE(db, pg_user_swap_password(db->pg, id, old, hash, at));
	if (begin(db) == -1)
		return -1;
	if ((s = stmt(db, STMT_USER_SWAP)) == NULL ||
	    sqlite3_bind_text(s, 1, hash, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 2, at) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 3, id) != SQLITE_OK ||
	    sqlite3_bind_text(s, 4, old, -1, SQLITE_STATIC) != SQLITE_OK)
		db_log(db, "user_swap");
	else
		rc = user_write(db, s, "user_swap");
	if (s != NULL)
		sqlite3_reset(s);
	if (rc == 1 && unfresh(db, id) == -1)
		rc = -1;
	return end(db, rc == -1 ? -1 : 0) == -1 ? -1 : rc;
}

int
db_user_email(struct db *db, long long id, const char *email,
    const char *email_key, enum db_taken *taken)
{
	sqlite3_stmt	*s;
	int		 rc = -1, step;

	PG_ROUTE(db, pg_user_email(db->pg, id, email, email_key, taken));
	*taken = DB_FREE;
	if (begin(db) == -1)
		return -1;
	if ((s = stmt(db, STMT_USER_EMAIL)) == NULL ||
	    sqlite3_bind_text(s, 1, email, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(s, 2, email_key, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 3, id) != SQLITE_OK) {
		db_log(db, "user_email");
		return end(db, -1);
	}
	if ((step = sqlite3_step(s)) == SQLITE_DONE)
		rc = sqlite3_changes(db->h) > 0;
	else if (sqlite3_extended_errcode(db->h) == SQLITE_CONSTRAINT_UNIQUE) {
		/* A concurrent change or registration took the address. */
		sqlite3_reset(s);
		return refuse(db, DB_TAKEN_EMAIL, taken);
	} else
		db_log(db, "user_email");
	sqlite3_reset(s);
	return end(db, rc == -1 ? -1 : 0) == -1 ? -1 : rc;
}

int
db_token_get(struct db *db, const char *jti, struct db_token *t)
{
	sqlite3_stmt	*s;
	int		 rc = -1;

	PG_ROUTE(db, pg_token_get(db->pg, jti, t));
	memset(t, 0, sizeof(*t));
	if ((s = stmt(db, STMT_TOKEN_GET)) == NULL ||
	    sqlite3_bind_text(s, 1, jti, -1, SQLITE_STATIC) != SQLITE_OK) {
		db_log(db, "token_get");
		return -1;
	}
	switch (sqlite3_step(s)) {
	case SQLITE_ROW:
		t->user_id = sqlite3_column_int64(s, 0);
		t->kind = (enum db_token_kind)sqlite3_column_int(s, 1);
		t->at = sqlite3_column_int64(s, 2);
		rc = 1;
		break;
	case SQLITE_DONE:
		rc = 0;
		break;
	default:
		db_log(db, "token_get");
		break;
	}
	sqlite3_reset(s);
	return rc;
}

int
db_token_put(struct db *db, const char *jti, long long user_id,
    enum db_token_kind kind, long long at, long long expires,
    struct db_token *t)
{
	sqlite3_stmt	*s;
	int		 rc = -1;

	PG_ROUTE(db, pg_token_put(db->pg, jti, user_id, kind, at, expires, t));
	if (begin(db) == -1)
		return -1;
	if ((s = stmt(db, kind == DB_TOKEN_LOGGED_OUT ? STMT_TOKEN_OUT :
	    STMT_TOKEN_KEEP)) != NULL &&
	    sqlite3_bind_text(s, 1, jti, -1, SQLITE_STATIC) == SQLITE_OK &&
	    sqlite3_bind_int64(s, 2, user_id) == SQLITE_OK &&
	    sqlite3_bind_int(s, 3, (int)kind) == SQLITE_OK &&
	    sqlite3_bind_int64(s, 4, at) == SQLITE_OK &&
	    sqlite3_bind_int64(s, 5, expires) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_DONE)
		rc = 0;
	else
		db_log(db, "token_put");
	if (s != NULL)
		sqlite3_reset(s);
	/* The row as it now is; and the table kept small as it goes. */
	if (rc == 0 && (t == NULL || db_token_get(db, jti, t) == 1) &&
	    write_int(db, STMT_TOKEN_TRIM, at, "token_trim", NULL) == 0)
		rc = 0;
	else
		rc = -1;
	return end(db, rc);
}

/* 1 if a user with this id or key exists, 0 if not, -1 on error. */
static int
user_exists(struct db *db, long long id, int is_email, const char *key)
{
	struct user	 u;
	int		 found;

	found = key == NULL ? db_user_by_id(db, id, &u) :
	    db_user_by_key(db, is_email, key, &u);
	db_user_free(&u);
	return found;
}

int
db_user_import(struct db *db, const struct user *u, const char *username_key,
    const char *email_key, enum db_taken *taken)
{
	sqlite3_stmt	*s;
	int		 rc = -1, found;

	PG_ROUTE(db, pg_user_import(db->pg, u, username_key, email_key,
	    taken));
	*taken = DB_FREE;
	if (begin(db) == -1)
		return -1;
	/* Which rule a duplicate breaks, for the report; the id first. */
	if ((found = user_exists(db, u->id, 0, NULL)) != 0)
		return found == 1 ? refuse(db, DB_TAKEN_ID, taken) : end(db, -1);
	if ((s = stmt(db, STMT_USER_WAS_DELETED)) == NULL ||
	    sqlite3_bind_int64(s, 1, u->id) != SQLITE_OK)
		return end(db, -1);
	found = sqlite3_step(s);
	sqlite3_reset(s);
	if (found != SQLITE_DONE)
		return found == SQLITE_ROW ? refuse(db, DB_DELETED_ID, taken) :
		    end(db, -1);
	if ((found = user_exists(db, 0, 0, username_key)) != 0)
		return found == 1 ? refuse(db, DB_TAKEN_USERNAME, taken) :
		    end(db, -1);
	if (*email_key != '\0' &&
	    (found = user_exists(db, 0, 1, email_key)) != 0)
		return found == 1 ? refuse(db, DB_TAKEN_EMAIL, taken) :
		    end(db, -1);
	if ((s = stmt(db, STMT_USER_IMPORT)) == NULL ||
	    sqlite3_bind_int64(s, 1, u->id) != SQLITE_OK ||
	    sqlite3_bind_text(s, 2, u->username, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(s, 3, username_key, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(s, 4, u->email, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(s, 5, email_key, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(s, 6, u->password, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int(s, 7, u->is_active != 0) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 8, u->date_joined) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 9, u->last_login) != SQLITE_OK) {
		db_log(db, "user_import");
		return end(db, -1);
	}
	if (sqlite3_step(s) == SQLITE_DONE)
		rc = 0;
	else
		db_log(db, "user_import");
	sqlite3_reset(s);
	return end(db, rc);
}

/* Store (value non-NULL) or delete the setting name; 0 or -1. */
static int
setting(struct db *db, const char *name, const void *value, size_t len,
    long long number)
{
	sqlite3_stmt	*s;
	int		 rc = -1, bound;

	if ((s = stmt(db, value != NULL || number != 0 ? STMT_SETTING_PUT :
	    STMT_SETTING_DEL)) == NULL)
		return -1;
	bound = sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	if (bound == SQLITE_OK && value != NULL)
		bound = sqlite3_bind_blob(s, 2, value, (int)len, SQLITE_STATIC);
	else if (bound == SQLITE_OK && number != 0)
		bound = sqlite3_bind_int64(s, 2, number);
	if (bound == SQLITE_OK && sqlite3_step(s) == SQLITE_DONE)
		rc = 0;
	else
		db_log(db, name);
	sqlite3_reset(s);
	return rc;
}

int
db_secret_rotate(struct db *db, const unsigned char *key, size_t len,
    long long until)
{
	unsigned char	 old[CONF_SECRET_MAX];
	size_t		 oldlen = sizeof(old);
	int		 rc, found;

	PG_ROUTE(db, pg_secret_rotate(db->pg, key, len, until));
	if (begin(db) == -1)
		return -1;
	if ((found = db_secret_get(db, old, &oldlen)) == -1)
		rc = -1;
	else if (found == 1 && until > 0)
		rc = setting(db, PREVIOUS, old, oldlen, 0) == -1 ||
		    setting(db, PREVIOUS_UNTIL, NULL, 0, until) == -1 ? -1 : 0;
	else
		rc = setting(db, PREVIOUS, NULL, 0, 0) == -1 ||
		    setting(db, PREVIOUS_UNTIL, NULL, 0, 0) == -1 ? -1 : 0;
	if (rc == 0)
		rc = setting(db, SECRET, key, len, 0);
	crypto_cleanse(old, sizeof(old));
	return end(db, rc) == -1 ? -1 : found;
}

int
db_secret_previous(struct db *db, unsigned char *buf, size_t *len,
    long long *until)
{
	PG_ROUTE(db, pg_secret_previous(db->pg, buf, len, until));
	return key_row(db, STMT_PREVIOUS_GET, "secret_previous", buf, len,
	    until);
}

int
db_purge(struct db *db, long long now, long long events_before,
    long long known_before, struct db_purged *p)
{
	unsigned char	 key[CONF_SECRET_MAX];
	size_t		 len = sizeof(key);
	long long	 until = 0;
	int		 rc = -1, found;

	PG_ROUTE(db, pg_purge(db->pg, now, events_before, known_before, p));
	memset(p, 0, sizeof(*p));
	if (begin(db) == -1)
		return -1;
	if (write_int(db, STMT_ATTEMPT_EXPIRED, now, "purge",
	    &p->attempts) == 0 &&
	    write_int(db, STMT_TOKEN_EXPIRED, now, "purge", &p->tokens) == 0 &&
	    write_int(db, STMT_NAME_PURGE, now, "purge", &p->names) == 0 &&
	    write_int(db, STMT_KNOWN_PURGE, known_before, "purge",
	    &p->known) == 0 &&
	    write_int(db, STMT_EVENT_PURGE, events_before, "purge",
	    &p->events) == 0)
		rc = 0;
	if (rc == 0 && (found = db_secret_previous(db, key, &len, &until)) != 0) {
		if (found == -1)
			rc = -1;
		else if (until <= now) {
			rc = setting(db, PREVIOUS, NULL, 0, 0) == -1 ||
			    setting(db, PREVIOUS_UNTIL, NULL, 0, 0) == -1 ?
			    -1 : 0;
			p->previous_key = rc == 0;
		}
	}
	crypto_cleanse(key, sizeof(key));
	if ((rc = end(db, rc)) == -1)
		return -1;
	/* As db_close does: only if no reader needs the log, never waiting. */
	waiting(db, 0);
	sqlite3_wal_checkpoint_v2(db->h, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL,
	    NULL);
	waiting(db, 1);
	return 0;
}

int
db_stats(struct db *db, struct db_stats *st)
{
	sqlite3_stmt	*s;
	int		 rc = -1;

	PG_ROUTE(db, pg_stats(db->pg, st));
	memset(st, 0, sizeof(*st));
	st->schema_latest = SCHEMA_VERSION;
	if (user_version(db, &st->schema) == -1 ||
	    (s = stmt(db, STMT_STATS)) == NULL)
		return -1;
	if (sqlite3_step(s) == SQLITE_ROW) {
		st->users = sqlite3_column_int64(s, 0);
		st->active_users = sqlite3_column_int64(s, 1);
		st->attempts = sqlite3_column_int64(s, 2);
		st->bytes = sqlite3_column_int64(s, 3);
		rc = 0;
	} else
		db_log(db, "stats");
	sqlite3_reset(s);
	/* An older database (authctl's looking commands do not migrate). */
	if (rc == 0 && st->schema >= TOKENS_SCHEMA) {
		if ((s = stmt(db, STMT_TOKEN_COUNT)) != NULL &&
		    sqlite3_step(s) == SQLITE_ROW)
			st->tokens = sqlite3_column_int64(s, 0);
		else {
			db_log(db, "stats");
			rc = -1;
		}
		if (s != NULL)
			sqlite3_reset(s);
	}
	return rc;
}

/* Report a finding made with printf's format; 1 for a problem, else 0. */
static int
finding(void (*report)(void *, int, const char *), void *arg, int ok,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int
finding(void (*report)(void *, int, const char *), void *arg, int ok,
    const char *fmt, ...)
{
	char	 line[512];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	report(arg, ok, line);
	return !ok;
}

int
db_check(struct db *db, void (*report)(void *, int, const char *), void *arg)
{
	const unsigned char *msg;
	sqlite3_stmt	*s = NULL;
	int		 problems = 0, v, rows = 0;

	PG_ROUTE(db, pg_check(db->pg, report, arg));
	if (sqlite3_prepare_v2(db->h, "PRAGMA integrity_check", -1, &s,
	    NULL) != SQLITE_OK) {
		db_log(db, "integrity_check");
		return -1;
	}
	while (sqlite3_step(s) == SQLITE_ROW && rows++ < 20) {
		msg = sqlite3_column_text(s, 0);
		if (msg == NULL || strcmp((const char *)msg, "ok") != 0)
			problems += finding(report, arg, 0, "integrity: %s",
			    msg != NULL ? (const char *)msg : "?");
	}
	if (sqlite3_finalize(s) != SQLITE_OK) {
		db_log(db, "integrity_check");
		return -1;
	}
	if (problems == 0)
		finding(report, arg, 1, "integrity: ok");
	if (user_version(db, &v) == -1)
		return -1;
	problems += finding(report, arg, v <= SCHEMA_VERSION,
	    "schema version %d (this program's is %d%s)", v, SCHEMA_VERSION,
	    v > SCHEMA_VERSION ? ": a newer program made it" :
	    v < SCHEMA_VERSION ? "; the next request brings it up" : "");
	return problems;
}

int
db_is_pg(const char *path)
{
	return is_pg_uri(path);
}

const char *
db_shown(const char *path, char *buf, size_t len)
{
	if (len == 0)
		return buf;
#ifdef WITH_PG
	if (is_pg_uri(path)) {
		pg_shown(path, buf, len);
		return buf;
	}
#else
	/* This build cannot read a URI: its scheme only, no password. */
	if (is_pg_uri(path)) {
		snprintf(buf, len, "%.*s...", (int)(strstr(path, "://") + 3 -
		    path), path);
		return buf;
	}
#endif
	snprintf(buf, len, "%s", path != NULL ? path : ":memory:");
	return buf;
}

int
db_exists(const char *path)
{
	if (is_pg_uri(path)) {
#ifdef WITH_PG
		return pg_exists(path);
#else
		fprintf(stderr, "db: AUTH_DB is a PostgreSQL URI, but this "
		    "build has no PostgreSQL (make DB=postgresql)\n");
		return -1;
#endif
	}
	if (access(path, F_OK) == 0)
		return 1;
	if (errno == ENOENT)
		return 0;
	fprintf(stderr, "db: %s: %s\n", path, strerror(errno));
	return -1;
}

/*
 * authctl copy-to: the statements that read and write every kept row.
 * Prepared each time (a copy runs once), so they stay out of the table
 * above that the endpoints' statements are cached by.
 */
enum copy_stmt {
	COPY_USERS,
	COPY_DELETED,
	COPY_IDS,
	COPY_SETTINGS,
	COPY_TOKENS,
	COPY_KNOWN,
	COPY_PUT_USER,
	COPY_PUT_DELETED,
	COPY_PUT_IDS_ROW,
	COPY_PUT_IDS,
	COPY_PUT_TOKEN,
	COPY_PUT_KNOWN,
	COPY_EMPTY,
	COPY__MAX
};

static const char *const copy_stmts[COPY__MAX] = {
	/* COPY_USERS: user_step's columns, then the keys as stored */
	"SELECT " USER_COLUMNS ", username_key, email_key FROM users "
	"ORDER BY id",
	/* COPY_DELETED */
	"SELECT id FROM deleted_users ORDER BY id",
	/* COPY_IDS: AUTOINCREMENT's high-water mark, whoever was deleted */
	"SELECT max(coalesce((SELECT seq FROM sqlite_sequence "
	"WHERE name = 'users'), 0), "
	"coalesce((SELECT max(id) FROM deleted_users), 0), "
	"coalesce((SELECT max(id) FROM users), 0))",
	/* COPY_SETTINGS: an integer value reads as its decimal digits */
	"SELECT name, value FROM settings ORDER BY name",
	/* COPY_TOKENS */
	"SELECT jti, user_id, kind, at, expires FROM tokens ORDER BY jti",
	/* COPY_KNOWN */
	"SELECT user_id, client, at FROM known_clients "
	"ORDER BY user_id, client",
	/* COPY_PUT_USER */
	"INSERT INTO users (id, username, username_key, email, email_key, "
	"password, is_active, date_joined, last_login, tokens_valid_after) "
	"VALUES (?, ?, ?, ?, ?, ?, ?, ?, nullif(?, 0), ?)",
	/* COPY_PUT_DELETED */
	"INSERT INTO deleted_users (id) VALUES (?)",
	/* COPY_PUT_IDS_ROW: AUTOINCREMENT's row (a user inserted makes it) */
	"INSERT INTO sqlite_sequence (name, seq) SELECT 'users', ?1 "
	"WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence "
	"WHERE name = 'users')",
	/* COPY_PUT_IDS: register goes on after ?1 */
	"UPDATE sqlite_sequence SET seq = max(seq, ?1) WHERE name = 'users'",
	/* COPY_PUT_TOKEN */
	"INSERT INTO tokens (jti, user_id, kind, at, expires) "
	"VALUES (?, ?, ?, ?, ?)",
	/* COPY_PUT_KNOWN */
	"INSERT INTO known_clients (user_id, client, at) VALUES (?, ?, ?)",
	/* COPY_EMPTY: the first table that holds a kept row */
	"SELECT t FROM ("
	"SELECT 'users' AS t WHERE EXISTS (SELECT 1 FROM users) "
	"UNION ALL SELECT 'deleted_users' "
	"WHERE EXISTS (SELECT 1 FROM deleted_users) "
	"UNION ALL SELECT 'settings' WHERE EXISTS (SELECT 1 FROM settings) "
	"UNION ALL SELECT 'tokens' WHERE EXISTS (SELECT 1 FROM tokens) "
	"UNION ALL SELECT 'known_clients' "
	"WHERE EXISTS (SELECT 1 FROM known_clients) "
	"UNION ALL SELECT 'events' WHERE EXISTS (SELECT 1 FROM events)"
	") AS x LIMIT 1",
};

/* copy_stmts[k] prepared, or NULL (logged). */
static sqlite3_stmt *
copy_prepare(struct db *db, enum copy_stmt k)
{
	sqlite3_stmt	*s = NULL;

	if (sqlite3_prepare_v2(db->h, copy_stmts[k], -1, &s, NULL) !=
	    SQLITE_OK || s == NULL) {
		sqlite3_finalize(s);
		db_log(db, "copy");
		return NULL;
	}
	return s;
}

/* Call fn for each row of the select k (filled by set): 0, 1 or -1. */
static int
copy_each(struct db *db, enum copy_stmt k, struct db_row *r,
    int (*set)(sqlite3_stmt *, struct db_row *),
    int (*fn)(const struct db_row *, void *), void *arg)
{
	sqlite3_stmt	*s;
	int		 rc = 0, step = SQLITE_DONE;

	if ((s = copy_prepare(db, k)) == NULL)
		return -1;
	while (rc == 0 && (step = sqlite3_step(s)) == SQLITE_ROW)
		if ((rc = set(s, r)) == 0 && (rc = fn(r, arg)) > 0)
			rc = 1;
	if (rc == 0 && step != SQLITE_DONE) {
		db_log(db, "copy");
		rc = -1;
	}
	sqlite3_finalize(s);
	return rc;
}

static int
set_deleted(sqlite3_stmt *s, struct db_row *r)
{
	r->id = sqlite3_column_int64(s, 0);
	return 0;
}

static int
set_setting(sqlite3_stmt *s, struct db_row *r)
{
	r->name = (const char *)sqlite3_column_text(s, 0);
	r->value = sqlite3_column_blob(s, 1);
	r->len = (size_t)sqlite3_column_bytes(s, 1);
	return r->name != NULL && (r->value != NULL || r->len == 0) ? 0 : -1;
}

static int
set_token(sqlite3_stmt *s, struct db_row *r)
{
	r->name = (const char *)sqlite3_column_text(s, 0);
	r->token.user_id = sqlite3_column_int64(s, 1);
	r->token.kind = (enum db_token_kind)sqlite3_column_int(s, 2);
	r->token.at = sqlite3_column_int64(s, 3);
	r->expires = sqlite3_column_int64(s, 4);
	return r->name != NULL ? 0 : -1;
}

static int
set_known(sqlite3_stmt *s, struct db_row *r)
{
	r->id = sqlite3_column_int64(s, 0);
	r->name = (const char *)sqlite3_column_text(s, 1);
	r->at = sqlite3_column_int64(s, 2);
	return r->name != NULL ? 0 : -1;
}

/* The events, through db_events: their rows as DB_ROW_EVENT. */
struct copy_events {
	int	(*fn)(const struct db_row *, void *);
	void	*arg;
	int	 stopped;
};

static int
copy_event(const struct db_eventrow *e, void *arg)
{
	struct copy_events *c = arg;
	struct db_row	 r;

	memset(&r, 0, sizeof(r));
	r.kind = DB_ROW_EVENT;
	r.event = e;
	return c->stopped = c->fn(&r, c->arg);
}

int
db_export(struct db *db, int (*fn)(const struct db_row *, void *), void *arg)
{
	struct copy_events ce = { fn, arg, 0 };
	struct db_row	 r;
	struct user	 u;
	sqlite3_stmt	*s;
	int		 rc = 0;

	PG_ROUTE(db, pg_export(db->pg, fn, arg));
	memset(&r, 0, sizeof(r));
	r.kind = DB_ROW_USER;
	/* One snapshot; the write lock keeps the endpoints waiting. */
	if (begin(db) == -1)
		return -1;
	if ((s = copy_prepare(db, COPY_USERS)) == NULL)
		return end(db, -1);
	while (rc == 0 && (rc = user_step(db, s, &u)) == 1) {
		r.user = &u;
		r.username_key = (const char *)sqlite3_column_text(s, 8);
		r.email_key = (const char *)sqlite3_column_text(s, 9);
		if (r.username_key == NULL || r.email_key == NULL) {
			fprintf(stderr, "db: copy: out of memory\n");
			rc = -1;
		} else if ((rc = fn(&r, arg)) > 0)
			rc = 1;
		db_user_free(&u);
	}
	sqlite3_finalize(s);
	memset(&r, 0, sizeof(r));
	if (rc == 0) {
		r.kind = DB_ROW_DELETED;
		rc = copy_each(db, COPY_DELETED, &r, set_deleted, fn, arg);
	}
	if (rc == 0) {
		r.kind = DB_ROW_IDS;
		rc = copy_each(db, COPY_IDS, &r, set_deleted, fn, arg);
	}
	if (rc == 0) {
		r.kind = DB_ROW_SETTING;
		rc = copy_each(db, COPY_SETTINGS, &r, set_setting, fn, arg);
	}
	if (rc == 0) {
		r.kind = DB_ROW_TOKEN;
		rc = copy_each(db, COPY_TOKENS, &r, set_token, fn, arg);
	}
	if (rc == 0) {
		r.kind = DB_ROW_KNOWN;
		rc = copy_each(db, COPY_KNOWN, &r, set_known, fn, arg);
	}
	if (rc == 0 && (db_events(db, 0, 0, copy_event, &ce) == -1 ||
	    ce.stopped == -1))
		rc = -1;
	/* Nothing was written: a failure is the reading's only. */
	if (end(db, rc == -1 ? -1 : 0) == -1)
		rc = -1;
	return rc == -1 ? -1 : 0;
}

/* Run the write k with r's values bound as the kind needs: 0 or -1. */
static int
copy_put(struct db *db, enum copy_stmt k, const struct db_row *r)
{
	const struct user *u = r->user;
	sqlite3_stmt	*s;
	int		 ok = SQLITE_OK, rc = 0;

	if ((s = copy_prepare(db, k)) == NULL)
		return -1;
	switch (k) {
	case COPY_PUT_USER:
		ok |= sqlite3_bind_int64(s, 1, u->id);
		ok |= sqlite3_bind_text(s, 2, u->username, -1, SQLITE_STATIC);
		ok |= sqlite3_bind_text(s, 3, r->username_key, -1,
		    SQLITE_STATIC);
		ok |= sqlite3_bind_text(s, 4, u->email, -1, SQLITE_STATIC);
		ok |= sqlite3_bind_text(s, 5, r->email_key, -1, SQLITE_STATIC);
		ok |= sqlite3_bind_text(s, 6, u->password, -1, SQLITE_STATIC);
		ok |= sqlite3_bind_int(s, 7, u->is_active != 0);
		ok |= sqlite3_bind_int64(s, 8, u->date_joined);
		ok |= sqlite3_bind_int64(s, 9, u->last_login);
		ok |= sqlite3_bind_int64(s, 10, u->tokens_valid_after);
		break;
	case COPY_PUT_TOKEN:
		ok |= sqlite3_bind_text(s, 1, r->name, -1, SQLITE_STATIC);
		ok |= sqlite3_bind_int64(s, 2, r->token.user_id);
		ok |= sqlite3_bind_int(s, 3, (int)r->token.kind);
		ok |= sqlite3_bind_int64(s, 4, r->token.at);
		ok |= sqlite3_bind_int64(s, 5, r->expires);
		break;
	case COPY_PUT_KNOWN:
		ok |= sqlite3_bind_int64(s, 1, r->id);
		ok |= sqlite3_bind_text(s, 2, r->name, -1, SQLITE_STATIC);
		ok |= sqlite3_bind_int64(s, 3, r->at);
		break;
	default:	/* the deleted id, the ids' high-water mark */
		ok |= sqlite3_bind_int64(s, 1, r->id);
		break;
	}
	if (ok != SQLITE_OK || sqlite3_step(s) != SQLITE_DONE) {
		db_log(db, "copy");
		rc = -1;
	}
	sqlite3_finalize(s);
	return rc;
}

int
db_import(struct db *db, const struct db_row *r)
{
	unsigned long long n = 0;
	size_t		 i;

	PG_ROUTE(db, pg_import(db->pg, r));
	switch (r->kind) {
	case DB_ROW_USER:
		return copy_put(db, COPY_PUT_USER, r);
	case DB_ROW_DELETED:
		return copy_put(db, COPY_PUT_DELETED, r);
	case DB_ROW_IDS:
		if (r->id <= 0)
			return 0;
		return copy_put(db, COPY_PUT_IDS_ROW, r) == -1 ||
		    copy_put(db, COPY_PUT_IDS, r) == -1 ? -1 : 0;
	case DB_ROW_SETTING:
		/* The grace's end is stored as a number, as setting() does. */
		if (strcmp(r->name, PREVIOUS_UNTIL) != 0 || r->len == 0)
			return setting(db, r->name, r->value, r->len, 0);
		for (i = 0; i < r->len && n < DB_ID_LIMIT; i++) {
			if (r->value[i] < '0' || r->value[i] > '9') {
				fprintf(stderr, "db: copy: %s: not a number\n",
				    r->name);
				return -1;
			}
			n = n * 10 + (r->value[i] - '0');
		}
		return setting(db, r->name, NULL, 0, (long long)n);
	case DB_ROW_TOKEN:
		return copy_put(db, COPY_PUT_TOKEN, r);
	case DB_ROW_KNOWN:
		return copy_put(db, COPY_PUT_KNOWN, r);
	case DB_ROW_EVENT:
		return db_event(db, r->event->at, r->event->event,
		    r->event->user_id, r->event->client, r->event->detail);
	}
	return -1;
}

int
db_empty(struct db *db, const char **table)
{
	static const char *const names[] = { "users", "deleted_users",
	    "settings", "tokens", "known_clients", "events" };
	sqlite3_stmt	*s;
	const char	*t;
	size_t		 i;
	int		 rc = -1, step;

	PG_ROUTE(db, pg_empty(db->pg, table));
	*table = NULL;
	if ((s = copy_prepare(db, COPY_EMPTY)) == NULL)
		return -1;
	if ((step = sqlite3_step(s)) == SQLITE_DONE)
		rc = 1;
	else if (step == SQLITE_ROW &&
	    (t = (const char *)sqlite3_column_text(s, 0)) != NULL) {
		/* A name that outlives the statement. */
		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (strcmp(t, names[i]) == 0)
				*table = names[i];
		rc = 0;
	} else
		db_log(db, "copy");
	sqlite3_finalize(s);
	return rc;
}
