/*
 * SQLite storage.  WAL mode, synchronous=NORMAL, a busy timeout, BEGIN
 * IMMEDIATE for every write (so a writer waits for the lock up front rather
 * than failing on a stale snapshot), and prepared statements from the one
 * table below, each prepared only when first used.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "db.h"

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
	STMT__MAX
};

#define USER_COLUMNS "id, username, email, password, is_active"

static const char *const stmts[STMT__MAX] = {
	/* STMT_SECRET_GET */
	"SELECT value FROM settings WHERE name = 'jwt_secret'",
	/* STMT_SECRET_PUT */
	"INSERT OR IGNORE INTO settings (name, value) VALUES ('jwt_secret', ?)",
	/* STMT_ATTEMPT_PURGE */
	"DELETE FROM attempts WHERE bucket < ?",
	/* STMT_ATTEMPT_HIT */
	"INSERT INTO attempts (scope, client, bucket, count) VALUES (?, ?, ?, 1) "
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
	/* STMT_USER_LOGIN */
	"UPDATE users SET last_login = ?, password = coalesce(?, password) "
	"WHERE id = ?",
};

struct db {
	sqlite3		*h;
	sqlite3_stmt	*st[STMT__MAX];
	int		 wal_frames;	/* in the WAL after our last commit */
};

/*
 * Without a close-time checkpoint the WAL outlives the connection, and the
 * next process to open the database reads all of it to rebuild its index;
 * so it is kept short: a writer that leaves this many frames (4 KiB each)
 * truncates it when it closes.
 */
#define WAL_KEEP_FRAMES	64

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

static int
begin(struct db *db)
{
	return exec(db, "BEGIN IMMEDIATE", "begin");
}

/* COMMIT if ok is 0, else ROLLBACK; returns ok, or -1 if COMMIT failed. */
static int
end(struct db *db, int ok)
{
	if (ok == 0 && exec(db, "COMMIT", "commit") == 0)
		return 0;
	if (!sqlite3_get_autocommit(db->h))
		sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
	return ok == 0 ? -1 : ok;
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
	if (v == 0 && exec(db, "PRAGMA journal_mode = WAL", "wal") == -1)
		return -1;
	if (begin(db) == -1)
		return -1;
	if (user_version(db, &v) == -1)
		rc = -1;
	for (; rc == 0 && v < SCHEMA_VERSION; v++) {
		if (exec(db, migrations[v], "migration") == -1 ||
		    snprintf(sql, sizeof(sql), "PRAGMA user_version = %d",
		    v + 1) >= (int)sizeof(sql) ||
		    exec(db, sql, "user_version") == -1)
			rc = -1;
	}
	return end(db, rc);
}

struct db *
db_open(const char *path)
{
	struct db	*db;
	int		 fd = -1, flags = SQLITE_OPEN_READWRITE;

	if ((db = calloc(1, sizeof(*db))) == NULL) {
		fprintf(stderr, "db: calloc: %s\n", strerror(errno));
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
	} else if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
	    0600)) == -1) {
		fprintf(stderr, "db: %s: %s\n", path, strerror(errno));
		free(db);
		return NULL;
	}
	if (fd != -1)
		close(fd);
	if (sqlite3_open_v2(path, &db->h, flags, NULL) != SQLITE_OK) {
		fprintf(stderr, "db: %s: %s\n", path, db->h != NULL ?
		    sqlite3_errmsg(db->h) : "out of memory");
		db_close(db);
		return NULL;
	}
	sqlite3_busy_timeout(db->h, BUSY_TIMEOUT_MS);
	/*
	 * SQLite's checkpoint when the last connection closes costs a CGI
	 * write more than the rest of the request (PERFORMANCE.md); instead
	 * db_close truncates the WAL only once it holds WAL_KEEP_FRAMES.
	 */
	sqlite3_db_config(db->h, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
	sqlite3_wal_hook(db->h, wal_written, db);
	if (exec(db, "PRAGMA synchronous = NORMAL", "synchronous") == -1 ||
	    migrate(db) == -1) {
		db_close(db);
		return NULL;
	}
	return db;
}

void
db_close(struct db *db)
{
	int	 i;

	if (db == NULL)
		return;
	for (i = 0; i < STMT__MAX; i++)
		sqlite3_finalize(db->st[i]);
	/*
	 * Not waiting: if readers are busy, a later writer will do it (and
	 * SQLite's own checkpoint at 1000 frames remains the backstop).
	 */
	if (db->wal_frames >= WAL_KEEP_FRAMES) {
		sqlite3_busy_timeout(db->h, 0);
		sqlite3_wal_checkpoint_v2(db->h, NULL,
		    SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
	}
	sqlite3_close(db->h);
	free(db);
}

int
db_secret_get(struct db *db, unsigned char *buf, size_t *len)
{
	sqlite3_stmt	*s;
	int		 rc, n;

	if ((s = stmt(db, STMT_SECRET_GET)) == NULL)
		return -1;
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE)
		rc = 0;
	else if (rc != SQLITE_ROW) {
		db_log(db, "secret_get");
		rc = -1;
	} else if ((n = sqlite3_column_bytes(s, 0)) <= 0 ||
	    (size_t)n > *len) {
		fprintf(stderr, "db: secret_get: stored key of %d bytes\n", n);
		rc = -1;
	} else {
		memcpy(buf, sqlite3_column_blob(s, 0), (size_t)n);
		*len = (size_t)n;
		rc = 1;
	}
	sqlite3_reset(s);
	return rc;
}

int
db_secret_put(struct db *db, const unsigned char *key, size_t len)
{
	sqlite3_stmt	*s;
	int		 rc = -1;

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
    long long *count)
{
	sqlite3_stmt	*s;
	int		 rc = -1;

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
	    sqlite3_bind_int64(s, 3, bucket) == SQLITE_OK) {
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

/* Run a user SELECT whose parameters are bound: 1, 0 or -1. */
static int
user_row(struct db *db, sqlite3_stmt *s, struct user *u)
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
		rc = 1;
		if (u->username == NULL || u->email == NULL ||
		    u->password == NULL) {
			fprintf(stderr, "db: user: out of memory\n");
			db_user_free(u);
			rc = -1;
		}
	}
	sqlite3_reset(s);
	return rc;
}

int
db_user_by_id(struct db *db, long long id, struct user *u)
{
	sqlite3_stmt	*s;

	memset(u, 0, sizeof(*u));
	if ((s = stmt(db, STMT_USER_BY_ID)) == NULL ||
	    sqlite3_bind_int64(s, 1, id) != SQLITE_OK)
		return -1;
	return user_row(db, s, u);
}

int
db_user_by_key(struct db *db, int is_email, const char *key, struct user *u)
{
	sqlite3_stmt	*s;

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
		/* explicit_bzero: a memset before free may be optimised away */
		explicit_bzero(u->password, strlen(u->password));
		free(u->password);
	}
	memset(u, 0, sizeof(*u));
}

int
db_user_add(struct db *db, const struct user *u, const char *username_key,
    const char *email_key, long long now, long long *id)
{
	sqlite3_stmt	*s;
	struct user	 other;
	int		 rc = -1, found;

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
	} else if (sqlite3_extended_errcode(db->h) == SQLITE_CONSTRAINT_UNIQUE) {
		/* A concurrent registration won: say which name it took. */
		sqlite3_reset(s);
		found = db_user_by_key(db, 0, username_key, &other);
		db_user_free(&other);
		rc = found == 1 ? DB_TAKEN_USERNAME : found == 0 ?
		    DB_TAKEN_EMAIL : -1;
	} else
		db_log(db, "user_add");
	sqlite3_reset(s);
	return end(db, rc);
}

int
db_user_login(struct db *db, long long id, long long now, const char *newhash)
{
	sqlite3_stmt	*s;
	int		 rc = -1;

	if (begin(db) == -1)
		return -1;
	if ((s = stmt(db, STMT_USER_LOGIN)) != NULL &&
	    sqlite3_bind_int64(s, 1, now) == SQLITE_OK &&
	    (newhash == NULL ? sqlite3_bind_null(s, 2) :
	    sqlite3_bind_text(s, 2, newhash, -1, SQLITE_STATIC)) == SQLITE_OK &&
	    sqlite3_bind_int64(s, 3, id) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_DONE)
		rc = 0;
	else
		db_log(db, "user_login");
	if (s != NULL)
		sqlite3_reset(s);
	return end(db, rc);
}
