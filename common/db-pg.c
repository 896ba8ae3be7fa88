/*
 * PostgreSQL storage (make DB=postgresql, AUTH_DB=postgresql://...): the
 * functions of db.h over libpq, each behaving as db.c's does, under
 * concurrency from any number of web hosts too.  CGI processes reach the
 * server through pgbouncer in transaction pooling mode, so nothing here
 * outlives a transaction on the server: unnamed statements (but for a
 * FastCGI process on a server session of its own: own_session()), no
 * session SET, session lock or start-up options.  Every wait is our own
 * (non-blocking libpq and poll()): an endpoint's request waits DEADLINE_MS
 * at most in all, authctl's statements CTL_DEADLINE_MS each
 * (deadline_of()); libpq's connect_timeout does not cover pgbouncer
 * holding a query while the server is away.  Where db.c relies on
 * SQLite's one writer (BEGIN IMMEDIATE), this relies on single-statement
 * upserts, row locks and the unique indexes; no statement is left to fail
 * inside a transaction that must go on (a failed statement aborts it).
 * All SQL for PostgreSQL is in the table below.
 */
#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "clock.h"
#include "conf.h"
#include "crypto.h"
#include "db.h"
#include "db-pg.h"

/*
 * SPEC "Storage": a timeout (5 s at most) is a 503.  It bounds the
 * connection and each statement; past it the connection is dropped.
 */
#define DEADLINE_MS	5000
#define CTL_DEADLINE_MS	300000	/* authctl's statements: a purge or a
				   copy of a large site takes its time */

/* The migrations, db/pg/NNN-*.sql in order, compiled in by the Makefile. */
static const char *const migrations[] = {
#include "schema-pg.inc"
};
#define SCHEMA_VERSION	((int)(sizeof(migrations) / sizeof(migrations[0])))

/*
 * pg_advisory_xact_lock's key while migrating: "corn:mig" in ASCII (the
 * schema's id trigger takes "corn:ids").  Advisory keys are shared by
 * everything in the database, a Django site's too: hence no small number.
 */
#define MIGRATE_LOCK	"7165071349921966439"
/*
 * The id trigger's key ("corn:ids", db/pg/001-schema.sql): an insert with
 * an id of its own at or past the sequence holds it until its transaction
 * ends (an import: the whole file), having moved the sequence past that
 * id at once (setval is not transactional).  A registration takes it
 * before it draws its id, so that it never draws one of the ids an import
 * still running is inserting: it waits for the import, as SQLite's one
 * writer makes it.
 */
#define IDS_LOCK	"7165071349921703027"

/* The types of the parameters sent (PostgreSQL's fixed catalog oids). */
#define OID_BYTEA	17
#define OID_INT8	20
#define OID_TEXT	25

#define ARGS_MAX	10	/* parameters of the longest statement */
#define PW_MAX		8	/* strings kept out of the log */
#define PW_PIECE_MIN	4	/* a shorter piece would mask half a line */
#define LOG_MAX		512	/* bytes of one logged message */
#define PAGE_ROWS	"1000"	/* rows per page when listing everything */
#define PAGE_ROWS_N	1000

/* The server's clock, in whole Unix seconds as time(NULL) counts them. */
#define CLOCK	"floor(extract(epoch FROM clock_timestamp()))::bigint"

enum stmt {
	STMT_VERSION,
	STMT_HAS_VERSION,
	STMT_MIGRATE_LOCK,
	STMT_SET_VERSION,
	STMT_NOW,
	STMT_BACKEND_PID,
	STMT_SECRET_GET,
	STMT_SECRET_LOCK,
	STMT_SECRET_PUT,
	STMT_ATTEMPT_HIT,
	STMT_USER_BY_ID,
	STMT_USER_WITH_KEY,
	STMT_USER_BY_NAME,
	STMT_USER_BY_EMAIL,
	STMT_USER_TAKEN,
	STMT_USER_ADD,
	STMT_USER_LOGIN,
	STMT_USER_PAGE,
	STMT_USER_PASSWORD,
	STMT_USER_REVOKE,
	STMT_USER_ACTIVE,
	STMT_USER_DELETE,
	STMT_USER_WAS_DELETED,
	STMT_USER_IMPORT,
	STMT_SETTING_PUT,
	STMT_SETTING_DEL,
	STMT_PREVIOUS_GET,
	STMT_ATTEMPT_EXPIRED,
	STMT_STATS,
	STMT_TOKEN_GET,
	STMT_TOKEN_OUT,
	STMT_TOKEN_KEEP,
	STMT_TOKEN_EXPIRED,
	STMT_USER_SWAP,
	STMT_TOKEN_UNFRESH,
	STMT_USER_EMAIL,
	STMT_NAME_TIDY,
	STMT_NAME_TRY,
	STMT_NAME_ADD,
	STMT_NAME_UNDO,
	STMT_NAME_PURGE,
	STMT_KNOWN_GET,
	STMT_KNOWN_PUT,
	STMT_KNOWN_PURGE,
	STMT_EVENT_ADD,
	STMT_EVENT_LOGIN,
	STMT_EVENT_PAGE,
	STMT_EVENT_PURGE,
	STMT_EVENT_FORGET,
	STMT_CHECK_RELATIONS,
	STMT_CHECK_ROLE,
	STMT_CHECK_IDS,
	STMT__MAX
};

#define USER_COLUMNS "id, username, email, password, is_active, " \
	"date_joined, coalesce(last_login, 0), tokens_valid_after"
#define USER_NCOLUMNS	8

/* The settings rows of the signing key and of the one it replaced. */
#define SECRET		"jwt_secret"
#define PREVIOUS	"jwt_secret_previous"
#define PREVIOUS_UNTIL	"jwt_secret_previous_until"

/* DB_TOKEN_FRESH, as the tokens table stores it. */
#define FRESH		"2"

/*
 * A few rows of tokens expired by $4 (not the one being put, $1), on the
 * normal path; rows another transaction is deleting are left to it.
 */
#define TOKEN_TRIM "WITH old AS (DELETE FROM tokens WHERE jti IN " \
	"(SELECT jti FROM tokens WHERE expires <= $4 AND jti <> $1 " \
	"LIMIT 16 FOR UPDATE SKIP LOCKED)) "

/* The tables and indexes of db/pg/001-schema.sql, and their kinds. */
#define RELATIONS "ARRAY['schema_version', 'users', 'deleted_users', " \
	"'attempts', 'settings', 'tokens', 'name_failures', " \
	"'known_clients', 'events', 'users_id_seq', 'users_pkey', " \
	"'users_username_key', 'users_email_key', 'deleted_users_pkey', " \
	"'attempts_pkey', 'attempts_bucket', 'settings_pkey', " \
	"'tokens_pkey', 'tokens_expires', 'tokens_user', " \
	"'name_failures_pkey', 'name_failures_expires', " \
	"'known_clients_pkey', 'known_clients_at', 'events_pkey', " \
	"'events_at', 'events_user']"
#define RELATION_KINDS "ARRAY['r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', " \
	"'r', 'S', 'i', 'i', 'i', 'i', 'i', 'i', 'i', 'i', 'i', 'i', 'i', " \
	"'i', 'i', 'i', 'i', 'i', 'i']"
#define TABLES "ARRAY['schema_version', 'users', 'deleted_users', " \
	"'attempts', 'settings', 'tokens', 'name_failures', " \
	"'known_clients', 'events']"

static const char *const stmts[STMT__MAX] = {
	/* STMT_VERSION */
	"SELECT version FROM schema_version",
	/* STMT_HAS_VERSION */
	"SELECT to_regclass('schema_version') IS NOT NULL",
	/* STMT_MIGRATE_LOCK */
	"SELECT pg_advisory_xact_lock(" MIGRATE_LOCK ")",
	/* STMT_SET_VERSION */
	"UPDATE schema_version SET version = $1",
	/* STMT_NOW */
	"SELECT " CLOCK,
	/* STMT_BACKEND_PID */
	"SELECT pg_backend_pid()",
	/* STMT_SECRET_GET */
	"SELECT value FROM settings WHERE name = '" SECRET "'",
	/* STMT_SECRET_LOCK: rotations take turns */
	"SELECT value FROM settings WHERE name = '" SECRET "' FOR UPDATE",
	/* STMT_SECRET_PUT: the first writer wins, from any host */
	"INSERT INTO settings (name, value) VALUES ('" SECRET "', $1) "
	"ON CONFLICT (name) DO NOTHING",
	/*
	 * STMT_ATTEMPT_HIT: the old windows go (those another transaction is
	 * deleting are left to it) and the count goes up, in one statement:
	 * the upsert locks the row, so the count is exact across hosts.
	 */
	"WITH old AS (DELETE FROM attempts WHERE (scope, client, bucket) IN "
	"(SELECT scope, client, bucket FROM attempts WHERE bucket < $3 "
	"FOR UPDATE SKIP LOCKED)) "
	"INSERT INTO attempts (scope, client, bucket, count, expires) "
	"VALUES ($1, $2, $3, 1, $4) "
	"ON CONFLICT (scope, client, bucket) "
	"DO UPDATE SET count = attempts.count + 1 RETURNING count",
	/* STMT_USER_BY_ID */
	"SELECT " USER_COLUMNS " FROM users WHERE id = $1",
	/* STMT_USER_WITH_KEY: one row, the user's columns NULL if none */
	"SELECT " USER_COLUMNS ", (SELECT value FROM settings WHERE name = '"
	SECRET "') FROM (SELECT 1) AS one LEFT JOIN users ON id = $1",
	/* STMT_USER_BY_NAME */
	"SELECT " USER_COLUMNS " FROM users WHERE username_key = $1",
	/* STMT_USER_BY_EMAIL */
	"SELECT " USER_COLUMNS " FROM users WHERE email_key = $1 "
	"AND email_key <> ''",
	/* STMT_USER_TAKEN: whose the username key is, whose the email key */
	"SELECT EXISTS (SELECT 1 FROM users WHERE username_key = $1), "
	"EXISTS (SELECT 1 FROM users WHERE email_key = $2 "
	"AND email_key <> '')",
	/*
	 * STMT_USER_ADD: no row back if a unique key (or the id) is taken;
	 * the id drawn after the ids lock is held (IDS_LOCK).
	 */
	"WITH l AS (SELECT pg_advisory_xact_lock(" IDS_LOCK ")) "
	"INSERT INTO users (username, username_key, email, email_key, "
	"password, is_active, date_joined) "
	"SELECT $1, $2, $3, $4, $5, 1, $6 FROM l "
	"ON CONFLICT DO NOTHING RETURNING id",
	/* STMT_USER_LOGIN: a rehash only of the password that was checked */
	"UPDATE users SET last_login = $1, password = CASE WHEN password = $4 "
	"THEN coalesce($2, password) ELSE password END WHERE id = $3",
	/* STMT_USER_PAGE */
	"SELECT " USER_COLUMNS " FROM users WHERE id > $1 ORDER BY id "
	"LIMIT " PAGE_ROWS,
	/*
	 * STMT_USER_PASSWORD: the revocation's second is the server's; the
	 * clock, no row if there is no such user.  The user's fresh tokens
	 * go after it (STMT_TOKEN_UNFRESH).
	 */
	"WITH c AS (SELECT " CLOCK " AS t) "
	"UPDATE users SET password = $2, "
	"tokens_valid_after = greatest(tokens_valid_after, c.t) FROM c "
	"WHERE id = $1 RETURNING c.t",
	/* STMT_USER_REVOKE: as STMT_USER_PASSWORD, the password kept */
	"WITH c AS (SELECT " CLOCK " AS t) "
	"UPDATE users SET "
	"tokens_valid_after = greatest(tokens_valid_after, c.t) FROM c "
	"WHERE id = $1 RETURNING c.t",
	/* STMT_USER_ACTIVE */
	"UPDATE users SET is_active = $2 WHERE id = $1",
	/*
	 * STMT_USER_DELETE: the user (with $2 only if that is still the
	 * password), the id remembered and its remembered tokens gone, in
	 * one statement; the users deleted.
	 */
	"WITH d AS (DELETE FROM users WHERE id = $1 "
	"AND ($2::text IS NULL OR password = $2) RETURNING id), "
	"r AS (INSERT INTO deleted_users (id) SELECT id FROM d "
	"ON CONFLICT DO NOTHING), "
	"t AS (DELETE FROM tokens WHERE user_id = $1 "
	"AND EXISTS (SELECT 1 FROM d)) "
	"SELECT count(*) FROM d",
	/* STMT_USER_WAS_DELETED */
	"SELECT 1 FROM deleted_users WHERE id = $1",
	/*
	 * STMT_USER_IMPORT: the trigger moves the id sequence past $1, under
	 * the ids lock, which is taken first, as a registration takes it:
	 * taken after the row, a registration of the same name holding it
	 * would wait for this row while this waits for it (a deadlock).
	 */
	"WITH l AS (SELECT pg_advisory_xact_lock(" IDS_LOCK ")) "
	"INSERT INTO users (id, username, username_key, email, email_key, "
	"password, is_active, date_joined, last_login) "
	"SELECT $1, $2, $3, $4, $5, $6, $7, $8, nullif($9, 0) FROM l "
	"ON CONFLICT DO NOTHING RETURNING id",
	/* STMT_SETTING_PUT */
	"INSERT INTO settings (name, value) VALUES ($1, $2) "
	"ON CONFLICT (name) DO UPDATE SET value = excluded.value",
	/* STMT_SETTING_DEL */
	"DELETE FROM settings WHERE name = $1",
	/* STMT_PREVIOUS_GET */
	"SELECT k.value, convert_from(u.value, 'UTF8')::bigint "
	"FROM settings k, settings u "
	"WHERE k.name = '" PREVIOUS "' AND u.name = '" PREVIOUS_UNTIL "'",
	/* STMT_ATTEMPT_EXPIRED */
	"DELETE FROM attempts WHERE expires <= $1",
	/*
	 * STMT_STATS: bytes are our tables' own, with their indexes and
	 * TOAST (pg_total_relation_size), not pg_database_size: the database
	 * may hold a Django site's tables too.
	 */
	"SELECT (SELECT count(*) FROM users), "
	"(SELECT count(*) FROM users WHERE is_active <> 0), "
	"(SELECT count(*) FROM attempts), "
	"(SELECT count(*) FROM tokens), "
	"(SELECT coalesce(sum(pg_total_relation_size(to_regclass(n))), 0) "
	"FROM unnest(" TABLES ") n)::bigint",
	/* STMT_TOKEN_GET */
	"SELECT user_id, kind, at FROM tokens WHERE jti = $1",
	/* STMT_TOKEN_OUT: a logout overrides a spent or fresh row */
	TOKEN_TRIM
	"INSERT INTO tokens (jti, user_id, kind, at, expires) "
	"VALUES ($1, $2, $3, $4, $5) ON CONFLICT (jti) "
	"DO UPDATE SET kind = excluded.kind, at = excluded.at "
	"RETURNING user_id, kind, at",
	/*
	 * STMT_TOKEN_KEEP: spent and fresh rows keep what was there; the
	 * update that changes nothing locks the row and returns it as it is,
	 * after a concurrent spender's commit.
	 */
	TOKEN_TRIM
	"INSERT INTO tokens (jti, user_id, kind, at, expires) "
	"VALUES ($1, $2, $3, $4, $5) ON CONFLICT (jti) "
	"DO UPDATE SET kind = tokens.kind RETURNING user_id, kind, at",
	/* STMT_TOKEN_EXPIRED */
	"DELETE FROM tokens WHERE expires <= $1",
	/* STMT_USER_SWAP: the fresh tokens go after it (STMT_TOKEN_UNFRESH) */
	"UPDATE users SET password = $2, "
	"tokens_valid_after = greatest(tokens_valid_after, $3) "
	"WHERE id = $1 AND password = $4",
	/*
	 * STMT_TOKEN_UNFRESH: a statement of its own after the user's row
	 * is locked by the revocation, so that its snapshot (READ COMMITTED:
	 * taken anew) holds the fresh rows a concurrent change committed
	 * while we waited for that lock; in the UPDATE's own statement it
	 * would not.
	 */
	"DELETE FROM tokens WHERE user_id = $1 AND kind = " FRESH,
	/*
	 * STMT_USER_EMAIL: the address, unless another account has its key;
	 * the users changed, whether another has it, whether the user is.
	 */
	"WITH o AS (SELECT 1 FROM users WHERE email_key = $3 "
	"AND email_key <> '' AND id <> $1), "
	"u AS (UPDATE users SET email = $2, email_key = $3 WHERE id = $1 "
	"AND NOT EXISTS (SELECT 1 FROM o) RETURNING id) "
	"SELECT (SELECT count(*) FROM u), EXISTS (SELECT 1 FROM o), "
	"EXISTS (SELECT 1 FROM users WHERE id = $1)",
	/* STMT_NAME_TIDY: the gate's purge; rows being deleted are left */
	"DELETE FROM name_failures WHERE (name, bucket) IN "
	"(SELECT name, bucket FROM name_failures WHERE expires <= $1 "
	"FOR UPDATE SKIP LOCKED)",
	/* STMT_NAME_TRY: one more failure, unless the limit is reached */
	"INSERT INTO name_failures (name, bucket, count, expires) "
	"VALUES ($1, $2, 1, $3) ON CONFLICT (name, bucket) "
	"DO UPDATE SET count = name_failures.count + 1 "
	"WHERE name_failures.count < $4 RETURNING count",
	/* STMT_NAME_ADD: one more failure, whatever the count */
	"INSERT INTO name_failures (name, bucket, count, expires) "
	"VALUES ($1, $2, 1, $3) ON CONFLICT (name, bucket) "
	"DO UPDATE SET count = name_failures.count + 1",
	/* STMT_NAME_UNDO: the login succeeded: it was no failure */
	"UPDATE name_failures SET count = count - 1 "
	"WHERE name = $1 AND bucket = $2 AND count > 0",
	/* STMT_NAME_PURGE */
	"DELETE FROM name_failures WHERE expires <= $1",
	/* STMT_KNOWN_GET */
	"SELECT 1 FROM known_clients WHERE user_id = $1 AND client = $2 "
	"AND at > $3",
	/* STMT_KNOWN_PUT */
	"INSERT INTO known_clients (user_id, client, at) VALUES ($1, $2, $3) "
	"ON CONFLICT (user_id, client) DO UPDATE SET at = excluded.at",
	/* STMT_KNOWN_PURGE */
	"DELETE FROM known_clients WHERE at <= $1",
	/* STMT_EVENT_ADD */
	"INSERT INTO events (at, user_id, event, client, detail) "
	"VALUES ($1, nullif($2, 0), $3, nullif($4, ''), nullif($5, '')) "
	"RETURNING id",
	/* STMT_EVENT_LOGIN: a failure noted before the hash was a login */
	"UPDATE events SET event = 'login', at = $1 WHERE id = $2",
	/* STMT_EVENT_PAGE */
	"SELECT id, at, coalesce(user_id, 0), event, coalesce(client, ''), "
	"coalesce(detail, '') FROM events "
	"WHERE ($1 = 0 OR user_id = $1) AND at >= $2 AND id > $3 "
	"ORDER BY id LIMIT " PAGE_ROWS,
	/* STMT_EVENT_PURGE */
	"DELETE FROM events WHERE at < $1",
	/* STMT_EVENT_FORGET: a failure noted before the hash was none */
	"DELETE FROM events WHERE id = $1",
	/* STMT_CHECK_RELATIONS: each, whether it is there as what, valid */
	"SELECT x.n, coalesce(c.relkind::text = x.k, false), "
	"coalesce(i.indisvalid, true) "
	"FROM unnest(" RELATIONS ", " RELATION_KINDS ") "
	"WITH ORDINALITY AS x(n, k, o) "
	"LEFT JOIN pg_class c ON c.oid = to_regclass(x.n) "
	"LEFT JOIN pg_index i ON i.indexrelid = c.oid ORDER BY x.o",
	/* STMT_CHECK_ROLE */
	"SELECT current_user, current_setting('is_superuser') = 'on', "
	"current_setting('server_encoding')",
	/* STMT_CHECK_IDS: the id sequence is past every id ever given */
	"SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END "
	"> greatest((SELECT coalesce(max(id), 0) FROM users), "
	"(SELECT coalesce(max(id), 0) FROM deleted_users)) FROM users_id_seq",
};

struct pg {
	PGconn		*c;		/* NULL until (re)connected */
	char		*uri;		/* AUTH_DB, to connect again */
	char		*pw[PW_MAX];	/* kept out of the log: its password
					   and sslpassword as libpq reads
					   them, and the pieces of the user
					   information's one (passwords()) */
	char		 shown[CONF_PATH_MAX];	/* AUTH_DB as logged */
	int		 depth;		/* begin() calls not yet end()ed */
	int		 failed;	/* a statement of the open
					   transaction failed: it is lost */
	int		 keep;		/* serves many requests (pg_keep) */
	int		 per_request;	/* an endpoint's (DB_SERVE): one
					   budget of waiting per request */
	long long	 waited;	/* ms of it spent, until pg_tidy */
	long long	 budget;	/* the wait deadline_of allowed, ms */
	int		 own;		/* c is a server session of its own,
					   no pooler's: statements are
					   prepared once (own_session()) */
	unsigned char	 prepared[STMT__MAX];	/* which, on c */
};

/* Statement parameters, all sent with their types. */
struct args {
	const char	*v[ARGS_MAX];
	int		 len[ARGS_MAX];
	int		 fmt[ARGS_MAX];
	Oid		 type[ARGS_MAX];
	char		 num[ARGS_MAX][24];
	int		 n;
};

/* request()'s flags. */
#define Q_SIMPLE	0x1	/* simple protocol: several statements, no
				   parameters (BEGIN, migrations) */
#define Q_BINARY	0x2	/* results in binary (the keys' bytes) */
#define Q_END		0x4	/* ends a transaction: sent even after a
				   statement in it failed */

static int	 begin(struct pg *, const char *);
static int	 end(struct pg *, int);

static void
arg_int(struct args *a, long long v)
{
	assert(a->n < ARGS_MAX);
	snprintf(a->num[a->n], sizeof(a->num[a->n]), "%lld", v);
	a->v[a->n] = a->num[a->n];
	a->len[a->n] = 0;
	a->fmt[a->n] = 0;
	a->type[a->n] = OID_INT8;
	a->n++;
}

/* A text parameter; NULL is SQL's NULL. */
static void
arg_text(struct args *a, const char *s)
{
	assert(a->n < ARGS_MAX);
	a->v[a->n] = s;
	a->len[a->n] = 0;
	a->fmt[a->n] = 0;
	a->type[a->n] = OID_TEXT;
	a->n++;
}

static void
arg_blob(struct args *a, const void *p, size_t len)
{
	assert(a->n < ARGS_MAX && len <= INT_MAX);
	a->v[a->n] = p;
	a->len[a->n] = (int)len;
	a->fmt[a->n] = 1;
	a->type[a->n] = OID_BYTEA;
	a->n++;
}

/*
 * Copy s into buf (size n) fit for one log line: line breaks (libpq's
 * messages span lines) become spaces, other control characters and
 * anything not ASCII (a message may quote what the server was sent)
 * become '?', and pw (unless NULL or empty) "***" wherever it is.
 */
static void
clean(const char *s, char *const pw[PW_MAX], char *buf, size_t n)
{
	size_t		 i = 0, k, plen;
	unsigned char	 ch;
	int		 hit;

	while (*s != '\0' && i + 4 < n) {
		for (hit = 0, k = 0; k < PW_MAX && !hit; k++)
			if (pw != NULL && pw[k] != NULL &&
			    (plen = strlen(pw[k])) > 0 &&
			    strncmp(s, pw[k], plen) == 0) {
				memcpy(buf + i, "***", 3);
				i += 3;
				s += plen;
				hit = 1;
			}
		if (hit)
			continue;
		ch = (unsigned char)*s++;
		if (ch == '\n' || ch == '\r' || ch == '\t')
			ch = ' ';
		else if (ch < 0x20 || ch >= 0x7f)
			ch = '?';
		if (ch == ' ' && (i == 0 || buf[i - 1] == ' '))
			continue;
		buf[i++] = (char)ch;
	}
	while (i > 0 && buf[i - 1] == ' ')
		i--;
	buf[i] = '\0';
}

/* One log line, "db: AUTH_DB (its password masked): where: message". */
static void
pg_log(const struct pg *pg, const char *where, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
pg_log(const struct pg *pg, const char *where, const char *fmt, ...)
{
	char	 raw[LOG_MAX], line[LOG_MAX];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	clean(raw, pg->pw, line, sizeof(line));
	fprintf(stderr, "db: %s: %s: %s\n", pg->shown, where, line);
}

/* The server's refusal r, logged: its SQLSTATE and first message line. */
static void
server_error(const struct pg *pg, const char *where, const PGresult *r)
{
	const char	*state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
	const char	*msg = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);

	if (msg == NULL)	/* libpq's own: it has no fields */
		msg = PQresultErrorMessage(r);
	pg_log(pg, where, "%s%s%s", state != NULL ? state : "",
	    state != NULL ? " " : "", msg);
}

/* Notices and warnings the server sends (none is expected): logged. */
static void
notice(void *arg, const char *msg)
{
	pg_log(arg, "notice", "%s", msg);
}

/* A hexadecimal digit's value, or -1. */
static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * The user information of uri (after "://") as mask_uri reads it: up to
 * the last '@' before the query, set in *at (NULL: none), its password
 * after the first ':' in it, set in *colon (NULL: none).  Returns where
 * it begins.
 */
static const char *
userinfo(const char *uri, const char **colon, const char **at)
{
	const char	*p, *q;

	p = (q = strstr(uri, "://")) != NULL ? q + 3 : uri;
	for (*at = NULL, q = p; *q != '\0' && *q != '?'; q++)
		if (*q == '@')
			*at = q;
	*colon = *at != NULL ? memchr(p, ':', (size_t)(*at - p)) : NULL;
	return p;
}

/*
 * AUTH_DB for the log into buf (size n): the password of its user
 * information replaced by ***, as is the value of any parameter whose
 * name holds "pass" (password, sslpassword, however percent-encoded).
 * The user information runs to the last '@' before the query, not to the
 * first '@' or '/' as libpq reads it: a password holding either unencoded
 * is masked too (whatever libpq makes of it).  A user name that looks
 * like anything but one is masked with it.
 */
static void
mask_uri(const char *uri, char *buf, size_t n)
{
	char		 out[CONF_PATH_MAX], key[CONF_PATH_MAX];
	const char	*p, *q, *colon, *e, *at;
	char		*pw[PW_MAX] = { NULL }, *err = NULL;
	PQconninfoOption *opts, *opt;
	size_t		 o = 0, k;
	int		 hi, lo, i;

#define PUT(s, len) do {						\
	if (o + (len) < sizeof(out)) {					\
		memcpy(out + o, (s), (len));				\
		o += (len);						\
	}								\
} while (0)
	p = userinfo(uri, &colon, &at);
	PUT(uri, (size_t)(p - uri));
	if (at != NULL) {
		q = colon != NULL ? colon : at;
		if (strcspn(p, "/@&=#") < (size_t)(q - p)) {
			PUT("***@", 4);
		} else {
			PUT(p, (size_t)(q - p));
			if (colon != NULL)
				PUT(":***", 4);
			PUT("@", 1);
		}
		p = at + 1;
	}
	q = p + strcspn(p, "?");
	PUT(p, (size_t)(q - p));
	for (p = q; *p != '\0'; p = e) {
		PUT(p, 1);		/* '?' or '&' */
		p++;
		e = p + strcspn(p, "&");
		q = memchr(p, '=', (size_t)(e - p));
		if (q == NULL)
			q = e;
		/* The name, percent-decoded and lowercased. */
		for (k = 0, colon = p; colon < q && k + 1 < sizeof(key); k++) {
			if (*colon == '%' && q - colon > 2 &&
			    (hi = hexval(colon[1])) != -1 &&
			    (lo = hexval(colon[2])) != -1) {
				key[k] = (char)(hi << 4 | lo);
				colon += 3;
			} else
				key[k] = *colon++;
			if (key[k] >= 'A' && key[k] <= 'Z')
				key[k] += 'a' - 'A';
		}
		key[k] = '\0';
		PUT(p, (size_t)(q - p));
		if (q < e && strstr(key, "pass") != NULL)
			PUT("=***", 4);
		else
			PUT(q, (size_t)(e - q));
	}
#undef PUT
	out[o] = '\0';
	/* And a password as libpq reads it, wherever that left it. */
	if ((opts = PQconninfoParse(uri, &err)) != NULL)
		for (i = 0, opt = opts; opt->keyword != NULL && i < 2; opt++)
			if ((strcmp(opt->keyword, "password") == 0 ||
			    strcmp(opt->keyword, "sslpassword") == 0) &&
			    opt->val != NULL)
				pw[i++] = opt->val;
	PQfreemem(err);
	clean(out, pw, buf, n);
	PQconninfoFree(opts);
}

/*
 * Note the URI's passwords (to keep them out of the log) and check that
 * libpq can read it.  Besides libpq's password, the pieces of the user
 * information's password as mask_uri reads it, split where an unencoded
 * '/' or '@' makes libpq read it as host, port or database name (which
 * its messages quote).  0, or -1 logged without libpq's reason, which
 * may quote the URI.
 */
static int
passwords(struct pg *pg)
{
	PQconninfoOption *opts, *o;
	const char	*colon, *at, *p;
	char		*err = NULL;
	size_t		 len;
	int		 i = 0, rc = 0;

	userinfo(pg->uri, &colon, &at);
	for (p = colon != NULL ? colon + 1 : at; p != NULL && p < at &&
	    i < PW_MAX - 2 && rc == 0; p += len + 1) {
		len = strcspn(p, "/@");
		if (len > (size_t)(at - p))
			len = (size_t)(at - p);
		if (len >= PW_PIECE_MIN &&
		    (pg->pw[i++] = strndup(p, len)) == NULL)
			rc = -1;
	}
	if (rc == -1) {
		pg_log(pg, "open", "out of memory");
		return -1;
	}

	if ((opts = PQconninfoParse(pg->uri, &err)) == NULL) {
		PQfreemem(err);
		pg_log(pg, "open", "not a connection URI libpq reads (its reason "
		    "is not shown: it may quote the password)");
		return -1;
	}
	for (o = opts; o->keyword != NULL && rc == 0; o++)
		if ((strcmp(o->keyword, "password") == 0 ||
		    strcmp(o->keyword, "sslpassword") == 0) && o->val != NULL &&
		    *o->val != '\0' && i < PW_MAX &&
		    (pg->pw[i++] = strdup(o->val)) == NULL) {
			pg_log(pg, "open", "out of memory");
			rc = -1;
		}
	PQconninfoFree(opts);
	return rc;
}

/*
 * When the wait that begins now (a statement's, or connecting's) must
 * end: an endpoint's request may wait DEADLINE_MS for the database in all
 * (SPEC "Storage": a timeout of 5 s at most, not 5 s per statement), its
 * own work between (a hash) not counted; authctl connects within
 * DEADLINE_MS and gives each statement CTL_DEADLINE_MS.
 */
static long long
deadline_of(struct pg *pg, int connecting)
{
	pg->budget = DEADLINE_MS;
	if (!pg->per_request && !connecting)
		pg->budget = CTL_DEADLINE_MS;
	else if (pg->per_request)
		pg->budget = pg->waited < DEADLINE_MS ?
		    DEADLINE_MS - pg->waited : 0;
	return clock_ms() + pg->budget;
}

/* Close the connection; a transaction open on it is lost. */
static void
drop(struct pg *pg)
{
	PQfinish(pg->c);
	pg->c = NULL;
	pg->own = 0;
	memset(pg->prepared, 0, sizeof(pg->prepared));
	if (pg->depth > 0)
		pg->failed = 1;
}

/*
 * Wait until the connection's socket is ready for events, by the deadline
 * (CLOCK_MONOTONIC ms).  0, or -1 logged (the deadline passed).
 */
static int
wait_for(struct pg *pg, short events, long long deadline, const char *what)
{
	struct pollfd	 pfd;
	long long	 left;
	int		 n;

	if ((pfd.fd = PQsocket(pg->c)) == -1) {
		pg_log(pg, what, "no connection");
		return -1;
	}
	pfd.events = events;
	for (;;) {
		if ((left = deadline - clock_ms()) <= 0) {
			pg_log(pg, what, "no answer within %lld s",
			    pg->per_request ? DEADLINE_MS / 1000 :
			    pg->budget / 1000);
			return -1;
		}
		pfd.revents = 0;
		n = poll(&pfd, 1, (int)left);
		pg->waited += clock_ms() - (deadline - left);
		if (n > 0)
			return 0;	/* or hung up: libpq finds out */
		if (n == -1 && errno != EINTR) {
			pg_log(pg, what, "poll: %s", strerror(errno));
			return -1;
		}
	}
}

/*
 * Connect (non-blocking, by our deadline).  The client encoding is always
 * UTF8 (our strings are), whatever the URI says; fallback_application_name
 * names us in pg_stat_activity unless the URI names something else.
 * Neither is a start-up option pgbouncer refuses.  0, or -1 logged.
 */
static int
connect_db(struct pg *pg)
{
	const char *const keys[] = { "fallback_application_name", "dbname",
	    "client_encoding", NULL };
	const char *const vals[] = { "corners-auth", pg->uri, "UTF8", NULL };
	PostgresPollingStatusType st = PGRES_POLLING_WRITING;
	long long	 deadline = deadline_of(pg, 1);

	if ((pg->c = PQconnectStartParams(keys, vals, 1)) == NULL) {
		pg_log(pg, "connect", "out of memory");
		return -1;
	}
	while (PQstatus(pg->c) != CONNECTION_BAD && st != PGRES_POLLING_OK &&
	    st != PGRES_POLLING_FAILED) {
		if ((st == PGRES_POLLING_READING || st == PGRES_POLLING_WRITING) &&
		    wait_for(pg, st == PGRES_POLLING_READING ? POLLIN : POLLOUT,
		    deadline, "connect") == -1) {
			drop(pg);
			return -1;
		}
		st = PQconnectPoll(pg->c);
	}
	if (PQstatus(pg->c) != CONNECTION_OK) {
		pg_log(pg, "connect", "%s", PQerrorMessage(pg->c));
		drop(pg);
		return -1;
	}
	if (PQsetnonblocking(pg->c, 1) == -1) {
		pg_log(pg, "connect", "%s", PQerrorMessage(pg->c));
		drop(pg);
		return -1;
	}
	PQsetNoticeProcessor(pg->c, notice, pg);
	return 0;
}

static PGresult *request(struct pg *, int, const char *, const struct args *,
	    int, const char *);

/*
 * Whether a kept handle's new connection is a server session of its own:
 * pgbouncer answers a client with a backend key of its own making, so the
 * pid the connection reports is the server's only when nothing pools it,
 * and only then do prepared statements last (SPEC "Storage": not under
 * transaction pooling).  0, or -1 logged (the connection dropped).
 */
static int
own_session(struct pg *pg)
{
	PGresult	*r;
	long long	 pid = 0;

	pg->own = 0;
	if ((r = request(pg, -1, stmts[STMT_BACKEND_PID], NULL, 0,
	    "connect")) == NULL)
		return -1;
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
		pid = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	pg->own = pid != 0 && pid == PQbackendPID(pg->c);
	PQclear(r);
	return 0;
}

void
pg_keep(struct pg *pg)
{
	pg->keep = 1;
	if (pg->c != NULL && pg->depth == 0)
		(void)own_session(pg);
}

int
pg_prepares(const struct pg *pg)
{
	return pg->own;
}

/*
 * The connection, ready for a statement: outside a transaction, one that
 * was lost (or that the server closed while we were idle: a restart, an
 * idle timeout) is made again, so that a FastCGI process goes on after an
 * outage; inside one, a lost connection or a failed statement fails
 * every later statement (without a word: that was logged) until end().
 */
static int
ready(struct pg *pg, int flags, const char *what)
{
	struct pollfd	 pfd;

	if (pg->depth > 0)
		return pg->c != NULL && (!pg->failed || (flags & Q_END)) ?
		    0 : -1;
	if (pg->c != NULL && PQstatus(pg->c) == CONNECTION_OK) {
		pfd.fd = PQsocket(pg->c);
		pfd.events = POLLIN;
		pfd.revents = 0;
		if (poll(&pfd, 1, 0) <= 0)
			return 0;
		/*
		 * Nothing is due between statements (no LISTEN here): what
		 * came is the server's or pgbouncer's goodbye (an error
		 * then the end of the stream, which libpq may not have
		 * read yet), so connect again now rather than fail the
		 * next statement on it.
		 */
		PQconsumeInput(pg->c);
		pg_log(pg, what, "the connection was closed; connecting "
		    "again%s%s", *PQerrorMessage(pg->c) != '\0' ? ": " : "",
		    PQerrorMessage(pg->c));
	}
	if (pg->c != NULL)
		drop(pg);
	if (connect_db(pg) == -1)
		return -1;
	return pg->keep ? own_session(pg) : 0;
}

/* Send what is buffered, by the deadline: 0, or -1 logged. */
static int
flush(struct pg *pg, long long deadline, const char *what)
{
	int	 rc;

	while ((rc = PQflush(pg->c)) == 1)
		if (wait_for(pg, POLLOUT | POLLIN, deadline, what) == -1 ||
		    PQconsumeInput(pg->c) == 0) {
			rc = -1;
			break;
		}
	if (rc == -1 && pg->c != NULL && PQstatus(pg->c) == CONNECTION_BAD)
		pg_log(pg, what, "%s", PQerrorMessage(pg->c));
	return rc;
}

/*
 * Wait for the whole answer to what was sent, by deadline: the result,
 * whatever the server said (the caller clears it), or NULL logged if there
 * was none: the deadline, the connection lost (dropped then).
 */
static PGresult *
answer(struct pg *pg, long long deadline, const char *what)
{
	PGresult	*r, *last = NULL;

	if (flush(pg, deadline, what) == -1)
		goto fail;
	for (;;) {
		while (PQisBusy(pg->c))
			if (wait_for(pg, POLLIN, deadline, what) == -1)
				goto fail;
			else if (PQconsumeInput(pg->c) == 0) {
				pg_log(pg, what, "%s", PQerrorMessage(pg->c));
				goto fail;
			}
		if ((r = PQgetResult(pg->c)) == NULL)
			break;
		/* The first refusal is the answer (the rest were not run). */
		if (last != NULL && PQresultStatus(last) == PGRES_FATAL_ERROR)
			PQclear(r);
		else {
			PQclear(last);
			last = r;
		}
	}
	if (last == NULL || PQstatus(pg->c) == CONNECTION_BAD) {
		/* "server closed the connection unexpectedly", often. */
		if (last != NULL)
			server_error(pg, what, last);
		else
			pg_log(pg, what, "no answer");
		goto fail;
	}
	return last;
fail:
	PQclear(last);
	drop(pg);
	return NULL;
}

/*
 * Send sql (statement s of the table, or -1; with the parameters a, NULL
 * for none) and wait for the whole answer, by the deadline.  On a session
 * of its own a kept handle prepares statement s once, so that the server
 * parses and plans it once per connection, not per request.  Returns as
 * answer(), or NULL logged if there is no connection.
 */
static PGresult *
request(struct pg *pg, int s, const char *sql, const struct args *a,
    int flags, const char *what)
{
	PGresult	*r;
	long long	 deadline;
	char		 name[32];
	int		 sent, prepare;

	if (ready(pg, flags, what) == -1)
		return NULL;
	deadline = deadline_of(pg, 0);
	if ((prepare = s >= 0 && pg->own && !(flags & Q_SIMPLE)))
		snprintf(name, sizeof(name), "corners_auth_%d", s);
	if (prepare && !pg->prepared[s]) {
		if (!PQsendPrepare(pg->c, name, sql, a != NULL ? a->n : 0,
		    a != NULL ? a->type : NULL)) {
			pg_log(pg, what, "%s", PQerrorMessage(pg->c));
			drop(pg);
			return NULL;
		}
		if ((r = answer(pg, deadline, what)) == NULL)
			return NULL;
		if (PQresultStatus(r) != PGRES_COMMAND_OK) {
			/* Its refusal is the statement's; none again here. */
			pg->own = 0;
			return r;
		}
		PQclear(r);
		pg->prepared[s] = 1;
	}
	if (flags & Q_SIMPLE)
		sent = PQsendQuery(pg->c, sql);
	else if (prepare)
		sent = PQsendQueryPrepared(pg->c, name, a != NULL ? a->n : 0,
		    a != NULL ? a->v : NULL, a != NULL ? a->len : NULL,
		    a != NULL ? a->fmt : NULL, (flags & Q_BINARY) ? 1 : 0);
	else
		sent = PQsendQueryParams(pg->c, sql, a != NULL ? a->n : 0,
		    a != NULL ? a->type : NULL, a != NULL ? a->v : NULL,
		    a != NULL ? a->len : NULL, a != NULL ? a->fmt : NULL,
		    (flags & Q_BINARY) ? 1 : 0);
	if (!sent) {
		pg_log(pg, what, "%s", PQerrorMessage(pg->c));
		drop(pg);
		return NULL;
	}
	if ((r = answer(pg, deadline, what)) != NULL && prepare &&
	    PQresultStatus(r) == PGRES_FATAL_ERROR &&
	    strcmp(PQresultErrorField(r, PG_DIAG_SQLSTATE) != NULL ?
	    PQresultErrorField(r, PG_DIAG_SQLSTATE) : "", "0A000") == 0) {
		/*
		 * "cached plan must not change result type": a migration
		 * changed a table under it.  This answer is lost (a 503);
		 * the connection prepares nothing more.
		 */
		pg_log(pg, what, "a prepared statement is out of date; "
		    "preparing no more on this connection");
		pg->own = 0;
	}
	return r;
}

/*
 * Run statement s of the table: the result of its rows or success, or
 * NULL logged.  A refusal whose SQLSTATE is expect (unless NULL) and, if
 * constraint is not NULL, is that constraint's sets *hit instead of
 * being logged.  A refusal inside a transaction loses it (end() then
 * rolls back).
 */
static PGresult *
run_expect(struct pg *pg, enum stmt s, const struct args *a, int flags,
    const char *what, const char *expect, const char *constraint, int *hit)
{
	PGresult	*r;
	const char	*state, *name;

	if (hit != NULL)
		*hit = 0;
	if ((r = request(pg, (int)s, stmts[s], a, flags, what)) == NULL)
		return NULL;
	switch (PQresultStatus(r)) {
	case PGRES_TUPLES_OK:
	case PGRES_COMMAND_OK:
		return r;
	default:
		break;
	}
	state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
	name = PQresultErrorField(r, PG_DIAG_CONSTRAINT_NAME);
	if (expect != NULL && state != NULL && strcmp(state, expect) == 0 &&
	    (constraint == NULL || (name != NULL &&
	    strcmp(name, constraint) == 0)))
		*hit = 1;
	else
		server_error(pg, what, r);
	if (pg->depth > 0)
		pg->failed = 1;
	PQclear(r);
	return NULL;
}

static PGresult *
run(struct pg *pg, enum stmt s, const struct args *a, int flags,
    const char *what)
{
	return run_expect(pg, s, a, flags, what, NULL, NULL, NULL);
}

/* Run sql in the simple protocol (no parameters): 0, or -1 logged. */
static int
simple(struct pg *pg, const char *sql, int flags, const char *what)
{
	PGresult	*r;
	int		 rc = 0;

	if ((r = request(pg, -1, sql, NULL, flags | Q_SIMPLE, what)) == NULL)
		return -1;
	if (PQresultStatus(r) != PGRES_COMMAND_OK &&
	    PQresultStatus(r) != PGRES_TUPLES_OK) {
		server_error(pg, what, r);
		if (pg->depth > 0)
			pg->failed = 1;
		rc = -1;
	}
	PQclear(r);
	return rc;
}

/*
 * Column col of row of r as an integer into *v (SQL's NULL is 0, as
 * SQLite reads it): 0, or -1 logged if there is no such row or it is not
 * an integer.
 */
static int
int_at(const struct pg *pg, const PGresult *r, int row, int col,
    long long *v)
{
	const char	*s;
	char		*end;

	*v = 0;
	if (row >= PQntuples(r) || col >= PQnfields(r)) {
		pg_log(pg, "result", "no row %d column %d", row, col);
		return -1;
	}
	if (PQgetisnull(r, row, col))
		return 0;
	s = PQgetvalue(r, row, col);
	errno = 0;
	*v = strtoll(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno == ERANGE) {
		pg_log(pg, "result", "not an integer: %s", s);
		return -1;
	}
	return 0;
}

/* Column col of row 0 of r is true ("t"). */
static int
true_at(const PGresult *r, int col)
{
	return PQntuples(r) > 0 && col < PQnfields(r) &&
	    strcmp(PQgetvalue(r, 0, col), "t") == 0;
}

/* The rows an INSERT, UPDATE or DELETE changed. */
static long long
changed(PGresult *r)
{
	return strtoll(PQcmdTuples(r), NULL, 10);
}

/*
 * Run statement k with the one integer parameter v, changing any number
 * of rows; sets *changes unless it is NULL.  0 or -1.
 */
static int
write_int(struct pg *pg, enum stmt k, long long v, const char *what,
    long long *changes)
{
	struct args	 a = { .n = 0 };
	PGresult	*r;

	arg_int(&a, v);
	if ((r = run(pg, k, &a, 0, what)) == NULL)
		return -1;
	if (changes != NULL)
		*changes = changed(r);
	PQclear(r);
	return 0;
}

/*
 * BEGIN (sql: BEGIN with what the transaction needs), unless a transaction
 * of pg_begin's is already open: then this one is part of it.
 */
static int
begin(struct pg *pg, const char *sql)
{
	if (pg->depth > 0) {
		pg->depth++;
		return 0;
	}
	if (simple(pg, sql, 0, "begin") == -1)
		return -1;
	pg->depth = 1;
	pg->failed = 0;
	return 0;
}

/*
 * The outermost end() does COMMIT if ok is 0, else ROLLBACK; returns ok,
 * or -1 if COMMIT failed (a statement of the transaction failed, or the
 * connection went).  An inner end() leaves that to the outermost.
 */
static int
end(struct pg *pg, int ok)
{
	PGresult	*r;
	int		 committed = 0;

	if (pg->depth > 1) {
		pg->depth--;
		return ok;
	}
	if (ok == 0 && !pg->failed &&
	    (r = request(pg, -1, "COMMIT", NULL, Q_SIMPLE | Q_END, "commit")) !=
	    NULL) {
		/* A transaction a statement failed in answers ROLLBACK. */
		committed = PQresultStatus(r) == PGRES_COMMAND_OK &&
		    strcmp(PQcmdStatus(r), "COMMIT") == 0;
		if (!committed)
			server_error(pg, "commit", r);
		PQclear(r);
	}
	if (!committed && pg->c != NULL &&
	    PQtransactionStatus(pg->c) != PQTRANS_IDLE)
		simple(pg, "ROLLBACK", Q_END, "rollback");
	pg->depth = 0;
	pg->failed = 0;
	if (committed)
		return 0;
	return ok == 0 ? -1 : ok;
}

int
pg_begin(struct pg *pg)
{
	return begin(pg, "BEGIN");
}

int
pg_end(struct pg *pg, int failed)
{
	/* end() returns what it was given after a rollback, -1 if COMMIT failed. */
	return end(pg, failed ? 1 : 0) == -1 ? -1 : 0;
}

/*
 * The schema's version into *v: 0 for a database without our tables.
 * 0, or -1 logged.  Outside a transaction only (a missing table is a
 * refusal, which would lose it).
 */
static int
version(struct pg *pg, int *v)
{
	PGresult	*r;
	long long	 n = 0;
	int		 missing, rc;

	*v = 0;
	if ((r = run_expect(pg, STMT_VERSION, NULL, 0, "schema_version",
	    "42P01", NULL, &missing)) == NULL)	/* undefined_table */
		return missing ? 0 : -1;
	rc = int_at(pg, r, 0, 0, &n);
	PQclear(r);
	if (rc == 0 && (n < 0 || n > INT_MAX)) {
		pg_log(pg, "schema_version", "%lld", n);
		rc = -1;
	}
	*v = (int)n;
	return rc;
}

/*
 * Apply the migrations the database lacks, each with its version in one
 * transaction, under an advisory lock: concurrent first requests (from
 * any host) take turns, and the version is read again once it is held.
 */
static int
migrate(struct pg *pg)
{
	PGresult	*r;
	long long	 n = 0;
	int		 v, rc = 0;

	if (version(pg, &v) == -1)
		return -1;
	if (v == SCHEMA_VERSION)
		return 0;
	if (v > SCHEMA_VERSION) {
		pg_log(pg, "migrate", "schema version %d is newer than this "
		    "program's %d", v, SCHEMA_VERSION);
		return -1;
	}
	if (begin(pg, "BEGIN") == -1)
		return -1;
	if ((r = run(pg, STMT_MIGRATE_LOCK, NULL, 0, "migrate")) == NULL)
		return end(pg, -1);
	PQclear(r);
	if ((r = run(pg, STMT_HAS_VERSION, NULL, 0, "migrate")) == NULL)
		return end(pg, -1);
	v = 0;
	if (true_at(r, 0)) {
		PQclear(r);
		if ((r = run(pg, STMT_VERSION, NULL, 0, "migrate")) == NULL ||
		    int_at(pg, r, 0, 0, &n) == -1 || n < 0 ||
		    n > SCHEMA_VERSION) {
			if (n > SCHEMA_VERSION)
				pg_log(pg, "migrate", "schema version %lld is "
				    "newer than this program's %d", n,
				    SCHEMA_VERSION);
			PQclear(r);
			return end(pg, -1);
		}
		v = (int)n;
	}
	PQclear(r);
	for (; rc == 0 && v < SCHEMA_VERSION; v++) {
		if (simple(pg, migrations[v], 0, "migration") == -1 ||
		    write_int(pg, STMT_SET_VERSION, v + 1, "schema_version",
		    NULL) == -1)
			rc = -1;
	}
	return end(pg, rc);
}

/*
 * Whether the database was never used (no schema_version table): 1
 * (logged: it is refused), 0 used, -1 error.
 */
static int
unused(struct pg *pg)
{
	int	 v;

	if (version(pg, &v) == -1)
		return -1;
	if (v != 0)
		return 0;
	pg_log(pg, "open", "no corners-auth tables in this database (never "
	    "used: the first request makes them)");
	return 1;
}

struct pg *
pg_open(const char *uri, int mode)
{
	struct pg	*pg;

	if ((pg = calloc(1, sizeof(*pg))) == NULL) {
		fprintf(stderr, "db: calloc: %s\n", strerror(errno));
		return NULL;
	}
	mask_uri(uri, pg->shown, sizeof(pg->shown));
	pg->per_request = mode == DB_SERVE;
	if ((pg->uri = strdup(uri)) == NULL) {
		pg_log(pg, "open", "out of memory");
		pg_close(pg);
		return NULL;
	}
	/*
	 * The database itself always exists (its server made it); one
	 * without our tables is what a file not yet made is to SQLite:
	 * DB_EXISTING and DB_INSPECT refuse it and leave it as it is.
	 */
	if (passwords(pg) == -1 || connect_db(pg) == -1 ||
	    (mode != DB_CREATE && mode != DB_SERVE && unused(pg) != 0) ||
	    (mode != DB_INSPECT && migrate(pg) == -1)) {
		pg_close(pg);
		return NULL;
	}
	return pg;
}

/* Wipe and free a string that may hold a password. */
static void
forget(char *s)
{
	if (s != NULL) {
		crypto_cleanse(s, strlen(s));
		free(s);
	}
}

void
pg_close(struct pg *pg)
{
	int	 i;

	if (pg == NULL)
		return;
	PQfinish(pg->c);	/* a transaction left open rolls back */
	forget(pg->uri);
	for (i = 0; i < PW_MAX; i++)
		forget(pg->pw[i]);
	free(pg);
}

/*
 * Between requests: nothing to reclaim (the server's autovacuum does
 * that); a connection found broken is let go, and the next statement
 * connects again.
 */
void
pg_tidy(struct pg *pg)
{
	pg->waited = 0;		/* the next request waits 5 s of its own */
	if (pg->c != NULL && pg->depth == 0 &&
	    PQstatus(pg->c) == CONNECTION_BAD)
		drop(pg);
}

long long
pg_now(struct pg *pg)
{
	PGresult	*r;
	long long	 t;

	if ((r = run(pg, STMT_NOW, NULL, 0, "now")) == NULL)
		return -1;
	if (int_at(pg, r, 0, 0, &t) == -1)
		t = -1;
	PQclear(r);
	return t;
}

/* 8 bytes in network order, as a binary int8 result holds them. */
static long long
be64(const char *p)
{
	const unsigned char *u = (const unsigned char *)p;
	uint64_t	 v = 0;
	int		 i;

	for (i = 0; i < 8; i++)
		v = v << 8 | u[i];
	return (long long)v;
}

/*
 * A stored key, the first column of the row statement k finds (in
 * binary), into buf (size *len, updated), and the second column into
 * *until if it is not NULL: 1 found, 0 none, -1 error.
 */
static int
key_row(struct pg *pg, enum stmt k, const char *what, unsigned char *buf,
    size_t *len, long long *until)
{
	PGresult	*r;
	int		 rc, n;

	if ((r = run(pg, k, NULL, Q_BINARY, what)) == NULL)
		return -1;
	if (PQntuples(r) == 0)
		rc = 0;
	else if ((n = PQgetlength(r, 0, 0)) <= 0 || (size_t)n > *len) {
		pg_log(pg, what, "stored key of %d bytes", n);
		rc = -1;
	} else if (until != NULL && PQgetlength(r, 0, 1) != 8) {
		pg_log(pg, what, "no time with the key");
		rc = -1;
	} else {
		memcpy(buf, PQgetvalue(r, 0, 0), (size_t)n);
		*len = (size_t)n;
		if (until != NULL)
			*until = be64(PQgetvalue(r, 0, 1));
		rc = 1;
	}
	PQclear(r);
	return rc;
}

int
pg_secret_get(struct pg *pg, unsigned char *buf, size_t *len)
{
	return key_row(pg, STMT_SECRET_GET, "secret_get", buf, len, NULL);
}

int
pg_secret_put(struct pg *pg, const unsigned char *key, size_t len)
{
	struct args	 a = { .n = 0 };
	PGresult	*r;

	arg_blob(&a, key, len);
	if ((r = run(pg, STMT_SECRET_PUT, &a, 0, "secret_put")) == NULL)
		return -1;
	PQclear(r);
	return 0;
}

int
pg_attempt(struct pg *pg, int scope, const char *client, long long bucket,
    long long expires, long long *count)
{
	struct args	 a = { .n = 0 };
	PGresult	*r;
	int		 rc;

	arg_int(&a, scope);
	arg_text(&a, client);
	arg_int(&a, bucket);
	arg_int(&a, expires);
	if ((r = run(pg, STMT_ATTEMPT_HIT, &a, 0, "attempt_hit")) == NULL)
		return -1;
	rc = int_at(pg, r, 0, 0, count);
	PQclear(r);
	return rc;
}

static char *
value_dup(const PGresult *r, int row, int col)
{
	return strdup(PQgetvalue(r, row, col));
}

/* Row row of a USER_COLUMNS result into u: 0, or -1 logged. */
static int
user_from(const struct pg *pg, const PGresult *r, int row, struct user *u)
{
	long long	 active;

	memset(u, 0, sizeof(*u));
	if (int_at(pg, r, row, 0, &u->id) == -1 ||
	    int_at(pg, r, row, 4, &active) == -1 ||
	    int_at(pg, r, row, 5, &u->date_joined) == -1 ||
	    int_at(pg, r, row, 6, &u->last_login) == -1 ||
	    int_at(pg, r, row, 7, &u->tokens_valid_after) == -1)
		return -1;
	u->is_active = active != 0;
	u->username = value_dup(r, row, 1);
	u->email = value_dup(r, row, 2);
	u->password = value_dup(r, row, 3);
	if (u->username == NULL || u->email == NULL || u->password == NULL) {
		pg_log(pg, "user", "out of memory");
		db_user_free(u);
		return -1;
	}
	return 0;
}

/* Run a user SELECT of at most one row: 1 found (u filled), 0, -1. */
static int
user_row(struct pg *pg, enum stmt s, const struct args *a, struct user *u)
{
	PGresult	*r;
	int		 rc = 0;

	memset(u, 0, sizeof(*u));
	if ((r = run(pg, s, a, 0, "user")) == NULL)
		return -1;
	if (PQntuples(r) > 0)
		rc = user_from(pg, r, 0, u) == 0 ? 1 : -1;
	PQclear(r);
	return rc;
}

int
pg_user_by_id(struct pg *pg, long long id, struct user *u)
{
	struct args	 a = { .n = 0 };

	arg_int(&a, id);
	return user_row(pg, STMT_USER_BY_ID, &a, u);
}

int
pg_user_with_key(struct pg *pg, long long id, struct user *u,
    unsigned char *key, size_t *keylen)
{
	struct args	 a = { .n = 0 };
	PGresult	*r;
	unsigned char	*k = NULL;
	size_t		 n = 0;
	int		 rc = -1;

	memset(u, 0, sizeof(*u));
	arg_int(&a, id);
	if ((r = run(pg, STMT_USER_WITH_KEY, &a, 0, "user_with_key")) == NULL)
		return -1;
	if (PQntuples(r) != 1 || PQnfields(r) != USER_NCOLUMNS + 1)
		pg_log(pg, "user_with_key", "an unexpected result");
	else if (!PQgetisnull(r, 0, USER_NCOLUMNS) &&
	    (k = PQunescapeBytea((const unsigned char *)
	    PQgetvalue(r, 0, USER_NCOLUMNS), &n)) == NULL)
		pg_log(pg, "user_with_key", "out of memory");
	else if (k != NULL && (n == 0 || n > *keylen))
		pg_log(pg, "user_with_key", "stored key of %zu bytes", n);
	else if (PQgetisnull(r, 0, 0))
		rc = 0;
	else
		rc = user_from(pg, r, 0, u) == 0 ? 1 : -1;
	if (rc != -1) {
		if (k != NULL)
			memcpy(key, k, n);
		*keylen = k != NULL ? n : 0;
	}
	if (k != NULL) {
		crypto_cleanse(k, n);
		PQfreemem(k);
	}
	PQclear(r);
	return rc;
}

int
pg_user_by_key(struct pg *pg, int is_email, const char *key, struct user *u)
{
	struct args	 a = { .n = 0 };

	arg_text(&a, key);
	return user_row(pg, is_email ? STMT_USER_BY_EMAIL : STMT_USER_BY_NAME,
	    &a, u);
}

/* 1 if a user with this id or key exists, 0 if not, -1 on error. */
static int
user_exists(struct pg *pg, long long id, int is_email, const char *key)
{
	struct user	 u;
	int		 found;

	found = key == NULL ? pg_user_by_id(pg, id, &u) :
	    pg_user_by_key(pg, is_email, key, &u);
	db_user_free(&u);
	return found;
}

/*
 * Roll back the transaction a new user was to be inserted in, because it
 * broke the rule why: 0 with *taken set, or -1.
 */
static int
refuse(struct pg *pg, enum db_taken why, enum db_taken *taken)
{
	*taken = why;
	return end(pg, 1) == 1 ? 0 : -1;
}

/*
 * How often an insert that found a unique key taken looks again and
 * tries once more (the winner gone by the time it looked, or an id taken
 * by a row the sequence never heard of).
 */
#define INSERT_TRIES	3

int
pg_user_add(struct pg *pg, const struct user *u, const char *username_key,
    const char *email_key, long long now, long long *id, enum db_taken *taken)
{
	struct args	 a;
	PGresult	*r;
	int		 rc = -1, tries, found, done = 0;

	*taken = DB_FREE;
	if (begin(pg, "BEGIN") == -1)
		return -1;
	for (tries = 0; !done && tries < INSERT_TRIES; tries++) {
		/*
		 * A name taken is found before the insert, which would spend
		 * an id of the sequence on it (SQLite's spends none).  Taken
		 * between the two, by a concurrent registration, the insert
		 * does nothing and the next round says which.
		 */
		a.n = 0;
		arg_text(&a, username_key);
		arg_text(&a, email_key);
		if ((r = run(pg, STMT_USER_TAKEN, &a, 0, "user_add")) == NULL)
			return end(pg, -1);
		found = true_at(r, 0) ? DB_TAKEN_USERNAME : true_at(r, 1) ?
		    DB_TAKEN_EMAIL : DB_FREE;
		PQclear(r);
		if (found != DB_FREE)
			return refuse(pg, (enum db_taken)found, taken);
		a.n = 0;
		arg_text(&a, u->username);
		arg_text(&a, username_key);
		arg_text(&a, u->email);
		arg_text(&a, email_key);
		arg_text(&a, u->password);
		arg_int(&a, now);
		if ((r = run(pg, STMT_USER_ADD, &a, 0, "user_add")) == NULL)
			return end(pg, -1);
		if (PQntuples(r) > 0) {
			done = 1;
			if ((rc = int_at(pg, r, 0, 0, id)) == 0 &&
			    *id >= DB_ID_LIMIT) {
				/* Rolled back: no tokens for it. */
				pg_log(pg, "user_add", "ids are used up to 2^53");
				rc = -1;
			}
		}
		PQclear(r);
	}
	if (!done)
		pg_log(pg, "user_add", "the id sequence gives ids already taken "
		    "(users inserted without the users_id_seen trigger?)");
	return end(pg, rc);
}

/* An event (as pg_event), its id into *id unless that is NULL: 0 or -1. */
static int
event_add(struct pg *pg, long long at, const char *event, long long user_id,
    const char *client, const char *detail, long long *id)
{
	struct args	 a = { .n = 0 };
	PGresult	*r;
	int		 rc = 0;

	arg_int(&a, at);
	arg_int(&a, user_id);
	arg_text(&a, event);
	arg_text(&a, client != NULL ? client : "");
	arg_text(&a, detail != NULL ? detail : "");
	if ((r = run(pg, STMT_EVENT_ADD, &a, 0, "event")) == NULL)
		return -1;
	if (id != NULL)
		rc = int_at(pg, r, 0, 0, id);
	PQclear(r);
	return rc;
}

int
pg_event(struct pg *pg, long long at, const char *event, long long user_id,
    const char *client, const char *detail)
{
	return event_add(pg, at, event, user_id, client, detail, NULL);
}

/* Is client one that logged in to user id since since?  1, 0 or -1. */
static int
known_client(struct pg *pg, long long id, const char *client,
    long long since)
{
	struct args	 a = { .n = 0 };
	PGresult	*r;
	int		 rc;

	arg_int(&a, id);
	arg_text(&a, client);
	arg_int(&a, since);
	if ((r = run(pg, STMT_KNOWN_GET, &a, 0, "known_client")) == NULL)
		return -1;
	rc = PQntuples(r) > 0;
	PQclear(r);
	return rc;
}

/* Run a name_failures upsert (name, bucket, expires[, max]) of g. */
static PGresult *
name_upsert(struct pg *pg, enum stmt s, const struct db_gate *g)
{
	struct args	 a = { .n = 0 };

	arg_text(&a, g->name);
	arg_int(&a, g->name_bucket);
	arg_int(&a, g->name_expires);
	if (s == STMT_NAME_TRY)
		arg_int(&a, g->name_max);
	return run(pg, s, &a, 0, "name_gate");
}

/*
 * The name's failure count of the gate: reserve one (below the limit), or
 * for a known client count one anyway.  Sets g->reserved and g->verdict.
 * The upsert locks the name's row whether it counts or not, so the count
 * is exact across hosts.
 */
static int
name_gate(struct pg *pg, struct db_gate *g)
{
	PGresult	*r;
	int		 known = 0;

	if (write_int(pg, STMT_NAME_TIDY, g->now, "name_purge", NULL) == -1 ||
	    (r = name_upsert(pg, STMT_NAME_TRY, g)) == NULL)
		return -1;
	g->reserved = PQntuples(r) > 0;		/* counted, below the limit */
	PQclear(r);
	if (g->reserved)
		return 0;
	/* At the limit: only a client that logged in to it goes on. */
	if (g->user_id != 0 && (known = known_client(pg, g->user_id,
	    g->client, g->known_since)) == -1)
		return -1;
	if (!known) {
		g->verdict = DB_GATE_NAME;
		return event_add(pg, g->now, "login_throttled", g->user_id,
		    g->client, NULL, NULL);
	}
	if ((r = name_upsert(pg, STMT_NAME_ADD, g)) == NULL)
		return -1;
	PQclear(r);
	g->reserved = 1;
	return 0;
}

int
pg_login_gate(struct pg *pg, struct db_gate *g)
{
	int	 rc = 0;

	g->verdict = DB_GATE_OPEN;
	g->reserved = 0;
	g->event_id = 0;
	g->count = 0;
	if (begin(pg, "BEGIN") == -1)
		return -1;
	/* SPEC "Per-account throttle": the per-client counter first. */
	if (g->client_max > 0 && (rc = pg_attempt(pg, g->scope, g->client,
	    g->client_bucket, g->client_expires, &g->count)) == 0 &&
	    g->count > g->client_max)
		g->verdict = DB_GATE_CLIENT;
	if (rc == 0 && g->verdict == DB_GATE_OPEN && g->name_max > 0)
		rc = name_gate(pg, g);
	/*
	 * A failure until the password says otherwise: noted now, in the
	 * transaction that counts it, and turned into the login if it was.
	 */
	if (rc == 0 && g->verdict == DB_GATE_OPEN && g->user_id != 0)
		rc = event_add(pg, g->now, "login_failed", g->user_id,
		    g->client, NULL, &g->event_id);
	return end(pg, rc);
}

/* The failure the gate reserved for the name was none: 0 or -1. */
static int
name_undo(struct pg *pg, const struct db_gate *g)
{
	struct args	 a = { .n = 0 };
	PGresult	*r;

	if (!g->reserved)
		return 0;
	arg_text(&a, g->name);
	arg_int(&a, g->name_bucket);
	if ((r = run(pg, STMT_NAME_UNDO, &a, 0, "name_undo")) == NULL)
		return -1;
	PQclear(r);
	return 0;
}

/*
 * A login that passed its gate succeeded: the client is known to the
 * account from now on, the name's reserved failure was none, and the
 * failure noted before the hash was the login.  0 or -1.
 */
static int
login_gate_done(struct pg *pg, long long id, long long now,
    const struct db_gate *g)
{
	struct args	 a = { .n = 0 };
	PGresult	*r;

	arg_int(&a, id);
	arg_text(&a, g->client);
	arg_int(&a, now);
	if ((r = run(pg, STMT_KNOWN_PUT, &a, 0, "known_put")) == NULL)
		return -1;
	PQclear(r);
	if (name_undo(pg, g) == -1)
		return -1;
	if (g->event_id == 0)
		return event_add(pg, now, "login", id, g->client, NULL, NULL);
	a.n = 0;
	arg_int(&a, now);
	arg_int(&a, g->event_id);
	if ((r = run(pg, STMT_EVENT_LOGIN, &a, 0, "event_login")) == NULL)
		return -1;
	PQclear(r);
	return 0;
}

int
pg_user_login(struct pg *pg, long long id, long long now, const char *oldhash,
    const char *newhash, const struct db_gate *g)
{
	struct args	 a = { .n = 0 };
	PGresult	*r;
	int		 rc = -1;

	if (begin(pg, "BEGIN") == -1)
		return -1;
	arg_int(&a, now);
	arg_text(&a, newhash);
	arg_int(&a, id);
	arg_text(&a, oldhash);
	if ((r = run(pg, STMT_USER_LOGIN, &a, 0, "user_login")) != NULL) {
		PQclear(r);
		rc = 0;
	}
	if (rc == 0 && g != NULL)
		rc = login_gate_done(pg, id, now, g);
	return end(pg, rc);
}

int
pg_login_undo(struct pg *pg, const struct db_gate *g)
{
	int	 rc;

	if (begin(pg, "BEGIN") == -1)
		return -1;
	rc = name_undo(pg, g);
	if (rc == 0 && g->event_id != 0)
		rc = write_int(pg, STMT_EVENT_FORGET, g->event_id,
		    "event_forget", NULL);
	return end(pg, rc);
}

/*
 * Call row(r, i, arg) for each row i of statement s, a page at a time
 * (PAGE_ROWS, in id order, column 0 the id): set(a, after) builds the
 * parameters of the page after that id.  Pages are read whole, so that
 * row may use the connection (authctl check looks users up as it goes);
 * outside a transaction they are read in one REPEATABLE READ transaction,
 * one snapshot as SQLite's one statement has.  Stops when row returns
 * non-zero (-1: failed).  Returns 0, or -1.
 */
static int
each_page(struct pg *pg, enum stmt s, void (*set)(struct args *, long long,
    const void *), const void *setarg, const char *what,
    int (*row)(struct pg *, const PGresult *, int, void *), void *arg)
{
	struct args	 a;
	PGresult	*r;
	long long	 after = 0;
	int		 rc = 0, i, n = PAGE_ROWS_N;

	if (begin(pg, "BEGIN ISOLATION LEVEL REPEATABLE READ") == -1)
		return -1;
	while (rc == 0 && n == PAGE_ROWS_N) {
		a.n = 0;
		set(&a, after, setarg);
		if ((r = run(pg, s, &a, 0, what)) == NULL) {
			rc = -1;
			break;
		}
		n = PQntuples(r);
		for (i = 0; rc == 0 && i < n; i++)
			if ((rc = int_at(pg, r, i, 0, &after)) == 0)
				rc = row(pg, r, i, arg);
		PQclear(r);
	}
	/* Nothing was written by us: a failure is the listing's only. */
	if (end(pg, rc == -1 ? -1 : 0) == -1)
		rc = -1;
	return rc == -1 ? -1 : 0;
}

/* db_events' filter, for each_page. */
struct event_filter {
	long long	 user_id;
	long long	 since;
};

static void
event_page(struct args *a, long long after, const void *arg)
{
	const struct event_filter *f = arg;

	arg_int(a, f->user_id);
	arg_int(a, f->since);
	arg_int(a, after);
}

struct event_call {
	int		(*fn)(const struct db_eventrow *, void *);
	void		*arg;
};

static int
event_row(struct pg *pg, const PGresult *r, int i, void *arg)
{
	struct event_call *c = arg;
	struct db_eventrow e;

	if (int_at(pg, r, i, 0, &e.id) == -1 ||
	    int_at(pg, r, i, 1, &e.at) == -1 ||
	    int_at(pg, r, i, 2, &e.user_id) == -1)
		return -1;
	e.event = PQgetvalue(r, i, 3);
	e.client = PQgetvalue(r, i, 4);
	e.detail = PQgetvalue(r, i, 5);
	return c->fn(&e, c->arg) == 0 ? 0 : 1;
}

int
pg_events(struct pg *pg, long long user_id, long long since,
    int (*fn)(const struct db_eventrow *, void *), void *arg)
{
	struct event_filter f = { user_id, since };
	struct event_call c = { fn, arg };

	return each_page(pg, STMT_EVENT_PAGE, event_page, &f, "events",
	    event_row, &c);
}

static void
user_page(struct args *a, long long after, const void *arg)
{
	(void)arg;
	arg_int(a, after);
}

struct user_call {
	int		(*fn)(const struct user *, void *);
	void		*arg;
};

static int
user_one(struct pg *pg, const PGresult *r, int i, void *arg)
{
	struct user_call *c = arg;
	struct user	 u;
	int		 rc;

	if (user_from(pg, r, i, &u) == -1)
		return -1;
	rc = c->fn(&u, c->arg);
	db_user_free(&u);
	return rc == 0 ? 0 : 1;
}

int
pg_user_each(struct pg *pg, int (*fn)(const struct user *, void *), void *arg)
{
	struct user_call c = { fn, arg };

	return each_page(pg, STMT_USER_PAGE, user_page, NULL, "user_list",
	    user_one, &c);
}

/* User id's fresh tokens, after its row was locked: 0 or -1. */
static int
unfresh(struct pg *pg, long long id)
{
	return write_int(pg, STMT_TOKEN_UNFRESH, id, "token_unfresh", NULL);
}

/*
 * A revocation of user id (statement s, parameters a) and its fresh
 * tokens, one transaction: the second recorded is the server's, read in
 * the statement; if the server's clock turned over before the end, again
 * with the new second, so that no token issued before the change
 * committed can carry a later second than the one recorded (as db.c's
 * revoke_at, one clock for every host).  Sets *at to the second recorded.
 * 1 done, 0 no such user, -1.
 */
static int
revoke_at(struct pg *pg, long long id, enum stmt s, const struct args *a,
    const char *what, long long *at)
{
	PGresult	*r;
	long long	 now;
	int		 rc;

	do {
		if (begin(pg, "BEGIN") == -1)
			return -1;
		if ((r = run(pg, s, a, 0, what)) == NULL)
			rc = -1;
		else {
			rc = PQntuples(r) == 0 ? 0 :
			    int_at(pg, r, 0, 0, at) == -1 ? -1 : 1;
			PQclear(r);
		}
		if (rc == 1 && unfresh(pg, id) == -1)
			rc = -1;
		if (end(pg, rc == -1) == -1)
			return -1;
		if (rc != 1)
			return rc;
		if ((now = pg_now(pg)) == -1)
			return -1;
	} while (now != *at);
	return 1;
}

int
pg_user_password(struct pg *pg, long long id, const char *hash,
    long long *at)
{
	struct args	 a = { .n = 0 };

	arg_int(&a, id);
	arg_text(&a, hash);
	return revoke_at(pg, id, STMT_USER_PASSWORD, &a, "user_password",
	    at);
}

int
pg_user_revoke(struct pg *pg, long long id, long long *at)
{
	struct args	 a = { .n = 0 };

	arg_int(&a, id);
	return revoke_at(pg, id, STMT_USER_REVOKE, &a, "user_revoke", at);
}

/* Run statement s of one user's row: 1 changed (rows > 0), 0, -1. */
static int
user_write(struct pg *pg, enum stmt s, const struct args *a,
    const char *what, int counted)
{
	PGresult	*r;
	long long	 n = 0;
	int		 rc;

	if ((r = run(pg, s, a, 0, what)) == NULL)
		return -1;
	if (counted)	/* the count is the statement's one value */
		rc = int_at(pg, r, 0, 0, &n) == -1 ? -1 : n > 0;
	else
		rc = changed(r) > 0;
	PQclear(r);
	return rc;
}

int
pg_user_active(struct pg *pg, long long id, int active)
{
	struct args	 a = { .n = 0 };

	arg_int(&a, id);
	arg_int(&a, active != 0);
	return user_write(pg, STMT_USER_ACTIVE, &a, "user_active", 0);
}

int
pg_user_delete(struct pg *pg, long long id, const char *hash)
{
	struct args	 a = { .n = 0 };

	arg_int(&a, id);
	arg_text(&a, hash);
	return user_write(pg, STMT_USER_DELETE, &a, "user_delete", 1);
}

int
pg_user_swap_password(struct pg *pg, long long id, const char *old,
    const char *hash, long long at)
{
	struct args	 a = { .n = 0 };
	int		 rc;

	arg_int(&a, id);
	arg_text(&a, hash);
	arg_int(&a, at);
	arg_text(&a, old);
	if (begin(pg, "BEGIN") == -1)
		return -1;
	if ((rc = user_write(pg, STMT_USER_SWAP, &a, "user_swap", 0)) == 1 &&
	    unfresh(pg, id) == -1)
		rc = -1;
	return end(pg, rc == -1) == -1 ? -1 : rc;
}

int
pg_user_email(struct pg *pg, long long id, const char *email,
    const char *email_key, enum db_taken *taken)
{
	struct args	 a = { .n = 0 };
	PGresult	*r;
	long long	 n = 0;
	int		 rc, hit;

	*taken = DB_FREE;
	arg_int(&a, id);
	arg_text(&a, email);
	arg_text(&a, email_key);
	/*
	 * Another account's address is found by the statement; one a
	 * concurrent change or registration commits while it runs makes the
	 * unique index refuse it (a transaction of the caller's is lost then:
	 * the caller rolls back a refusal anyway).
	 */
	if ((r = run_expect(pg, STMT_USER_EMAIL, &a, 0, "user_email", "23505",
	    "users_email_key", &hit)) == NULL) {
		if (!hit)
			return -1;
		*taken = DB_TAKEN_EMAIL;
		return 0;
	}
	if ((rc = int_at(pg, r, 0, 0, &n)) == 0) {
		rc = n > 0;
		if (rc == 0 && true_at(r, 1) && true_at(r, 2))
			*taken = DB_TAKEN_EMAIL;
	}
	PQclear(r);
	return rc;
}

int
pg_token_get(struct pg *pg, const char *jti, struct db_token *t)
{
	struct args	 a = { .n = 0 };
	PGresult	*r;
	long long	 kind = 0;
	int		 rc = 0;

	memset(t, 0, sizeof(*t));
	arg_text(&a, jti);
	if ((r = run(pg, STMT_TOKEN_GET, &a, 0, "token_get")) == NULL)
		return -1;
	if (PQntuples(r) > 0) {
		rc = int_at(pg, r, 0, 0, &t->user_id) == -1 ||
		    int_at(pg, r, 0, 1, &kind) == -1 ||
		    int_at(pg, r, 0, 2, &t->at) == -1 ? -1 : 1;
		t->kind = (enum db_token_kind)kind;
	}
	PQclear(r);
	return rc;
}

/*
 * The trim rides along in the upsert's statement (it skips the token
 * being put, which a separate statement after it, as db.c's, might
 * delete when it is expired already: db.c's LIMIT 16 may or may not
 * catch it either).
 */
int
pg_token_put(struct pg *pg, const char *jti, long long user_id,
    enum db_token_kind kind, long long at, long long expires,
    struct db_token *t)
{
	struct args	 a = { .n = 0 };
	PGresult	*r;
	long long	 k = 0;
	int		 rc;

	arg_text(&a, jti);
	arg_int(&a, user_id);
	arg_int(&a, kind);
	arg_int(&a, at);
	arg_int(&a, expires);
	if ((r = run(pg, kind == DB_TOKEN_LOGGED_OUT ? STMT_TOKEN_OUT :
	    STMT_TOKEN_KEEP, &a, 0, "token_put")) == NULL)
		return -1;
	if (t == NULL)
		rc = 0;
	else {
		/* The row as it now is, after any concurrent writer's. */
		memset(t, 0, sizeof(*t));
		rc = int_at(pg, r, 0, 0, &t->user_id) == -1 ||
		    int_at(pg, r, 0, 1, &k) == -1 ||
		    int_at(pg, r, 0, 2, &t->at) == -1 ? -1 : 0;
		t->kind = (enum db_token_kind)k;
	}
	PQclear(r);
	return rc;
}

/* Was id a deleted user's?  1, 0 or -1. */
static int
was_deleted(struct pg *pg, long long id)
{
	struct args	 a = { .n = 0 };
	PGresult	*r;
	int		 rc;

	arg_int(&a, id);
	if ((r = run(pg, STMT_USER_WAS_DELETED, &a, 0, "user_import")) ==
	    NULL)
		return -1;
	rc = PQntuples(r) > 0;
	PQclear(r);
	return rc;
}

int
pg_user_import(struct pg *pg, const struct user *u, const char *username_key,
    const char *email_key, enum db_taken *taken)
{
	struct args	 a;
	PGresult	*r;
	int		 found, tries, done = 0;

	*taken = DB_FREE;
	if (begin(pg, "BEGIN") == -1)
		return -1;
	for (tries = 0; !done && tries < INSERT_TRIES; tries++) {
		/* Which rule a duplicate breaks, for the report; the id first. */
		if ((found = user_exists(pg, u->id, 0, NULL)) != 0)
			return found == 1 ? refuse(pg, DB_TAKEN_ID, taken) :
			    end(pg, -1);
		if ((found = was_deleted(pg, u->id)) != 0)
			return found == 1 ? refuse(pg, DB_DELETED_ID, taken) :
			    end(pg, -1);
		if ((found = user_exists(pg, 0, 0, username_key)) != 0)
			return found == 1 ? refuse(pg, DB_TAKEN_USERNAME, taken) :
			    end(pg, -1);
		if (*email_key != '\0' &&
		    (found = user_exists(pg, 0, 1, email_key)) != 0)
			return found == 1 ? refuse(pg, DB_TAKEN_EMAIL, taken) :
			    end(pg, -1);
		a.n = 0;
		arg_int(&a, u->id);
		arg_text(&a, u->username);
		arg_text(&a, username_key);
		arg_text(&a, u->email);
		arg_text(&a, email_key);
		arg_text(&a, u->password);
		arg_int(&a, u->is_active != 0);
		arg_int(&a, u->date_joined);
		arg_int(&a, u->last_login);
		if ((r = run(pg, STMT_USER_IMPORT, &a, 0, "user_import")) ==
		    NULL)
			return end(pg, -1);
		/* None: a concurrent insert took a key since: look again. */
		done = PQntuples(r) > 0;
		PQclear(r);
	}
	if (!done)
		pg_log(pg, "user_import", "user %lld: a key kept being taken",
		    u->id);
	return end(pg, done ? 0 : -1);
}

/*
 * Store (value non-NULL: bytes; number non-zero: its decimal digits) or
 * delete the setting name; 0 or -1.
 */
static int
setting(struct pg *pg, const char *name, const void *value, size_t len,
    long long number)
{
	struct args	 a = { .n = 0 };
	PGresult	*r;
	char		 digits[24];

	arg_text(&a, name);
	if (value != NULL)
		arg_blob(&a, value, len);
	else if (number != 0) {
		snprintf(digits, sizeof(digits), "%lld", number);
		arg_blob(&a, digits, strlen(digits));
	}
	if ((r = run(pg, value != NULL || number != 0 ? STMT_SETTING_PUT :
	    STMT_SETTING_DEL, &a, 0, name)) == NULL)
		return -1;
	PQclear(r);
	return 0;
}

int
pg_secret_rotate(struct pg *pg, const unsigned char *key, size_t len,
    long long until)
{
	unsigned char	 old[CONF_SECRET_MAX];
	size_t		 oldlen = sizeof(old);
	int		 rc, found;

	if (begin(pg, "BEGIN") == -1)
		return -1;
	/* Locked: a concurrent rotation keeps the key this one replaced. */
	if ((found = key_row(pg, STMT_SECRET_LOCK, "secret_rotate", old,
	    &oldlen, NULL)) == -1)
		rc = -1;
	else if (found == 1 && until > 0)
		rc = setting(pg, PREVIOUS, old, oldlen, 0) == -1 ||
		    setting(pg, PREVIOUS_UNTIL, NULL, 0, until) == -1 ? -1 : 0;
	else
		rc = setting(pg, PREVIOUS, NULL, 0, 0) == -1 ||
		    setting(pg, PREVIOUS_UNTIL, NULL, 0, 0) == -1 ? -1 : 0;
	if (rc == 0)
		rc = setting(pg, SECRET, key, len, 0);
	crypto_cleanse(old, sizeof(old));
	return end(pg, rc) == -1 ? -1 : found;
}

int
pg_secret_previous(struct pg *pg, unsigned char *buf, size_t *len,
    long long *until)
{
	return key_row(pg, STMT_PREVIOUS_GET, "secret_previous", buf, len,
	    until);
}

/*
 * db.c then truncates SQLite's log; here there is nothing to reclaim
 * without waiting: the server's autovacuum takes the deleted rows' room
 * back by itself.
 */
int
pg_purge(struct pg *pg, long long now, long long events_before,
    long long known_before, struct db_purged *p)
{
	unsigned char	 key[CONF_SECRET_MAX];
	size_t		 len = sizeof(key);
	long long	 until = 0;
	int		 rc = -1, found;

	memset(p, 0, sizeof(*p));
	if (begin(pg, "BEGIN") == -1)
		return -1;
	if (write_int(pg, STMT_ATTEMPT_EXPIRED, now, "purge",
	    &p->attempts) == 0 &&
	    write_int(pg, STMT_TOKEN_EXPIRED, now, "purge", &p->tokens) == 0 &&
	    write_int(pg, STMT_NAME_PURGE, now, "purge", &p->names) == 0 &&
	    write_int(pg, STMT_KNOWN_PURGE, known_before, "purge",
	    &p->known) == 0 &&
	    write_int(pg, STMT_EVENT_PURGE, events_before, "purge",
	    &p->events) == 0)
		rc = 0;
	if (rc == 0 && (found = pg_secret_previous(pg, key, &len, &until)) !=
	    0) {
		if (found == -1)
			rc = -1;
		else if (until <= now) {
			rc = setting(pg, PREVIOUS, NULL, 0, 0) == -1 ||
			    setting(pg, PREVIOUS_UNTIL, NULL, 0, 0) == -1 ?
			    -1 : 0;
			p->previous_key = rc == 0;
		}
	}
	crypto_cleanse(key, sizeof(key));
	return end(pg, rc) == -1 ? -1 : 0;
}

int
pg_stats(struct pg *pg, struct db_stats *st)
{
	PGresult	*r;
	int		 rc;

	memset(st, 0, sizeof(*st));
	st->schema_latest = SCHEMA_VERSION;
	if (version(pg, &st->schema) == -1 ||
	    (r = run(pg, STMT_STATS, NULL, 0, "stats")) == NULL)
		return -1;
	rc = int_at(pg, r, 0, 0, &st->users) == -1 ||
	    int_at(pg, r, 0, 1, &st->active_users) == -1 ||
	    int_at(pg, r, 0, 2, &st->attempts) == -1 ||
	    int_at(pg, r, 0, 3, &st->tokens) == -1 ||
	    int_at(pg, r, 0, 4, &st->bytes) == -1 ? -1 : 0;
	PQclear(r);
	return rc;
}

/*
 * Report a finding made with printf's format, cleaned for a terminal;
 * 1 for a problem, else 0.
 */
static int
finding(void (*report)(void *, int, const char *), void *arg, int ok,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int
finding(void (*report)(void *, int, const char *), void *arg, int ok,
    const char *fmt, ...)
{
	char	 raw[LOG_MAX], line[LOG_MAX];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	clean(raw, NULL, line, sizeof(line));
	report(arg, ok, line);
	return !ok;
}

/* The tables, indexes and the id sequence are there: problems, or -1. */
static int
check_relations(struct pg *pg, void (*report)(void *, int, const char *),
    void *arg)
{
	PGresult	*r;
	int		 i, n, problems = 0;

	if ((r = run(pg, STMT_CHECK_RELATIONS, NULL, 0, "check")) == NULL)
		return -1;
	for (i = 0, n = PQntuples(r); i < n; i++)
		if (strcmp(PQgetvalue(r, i, 1), "t") != 0)
			problems += finding(report, arg, 0, "%s: missing (or "
			    "not what db/pg/001-schema.sql makes)",
			    PQgetvalue(r, i, 0));
		else if (strcmp(PQgetvalue(r, i, 2), "t") != 0)
			problems += finding(report, arg, 0, "index %s: not "
			    "valid (REINDEX it)", PQgetvalue(r, i, 0));
	if (problems == 0)
		finding(report, arg, 1, "tables and indexes: the %d expected",
		    n);
	PQclear(r);
	if (problems > 0)
		return problems;
	if ((r = run(pg, STMT_CHECK_IDS, NULL, 0, "check")) == NULL)
		return -1;
	problems += finding(report, arg, true_at(r, 0), "id sequence: %s",
	    true_at(r, 0) ? "past every id given" : "behind an id given "
	    "(users inserted without the users_id_seen trigger): setval "
	    "users_id_seq past the largest id in users and deleted_users");
	PQclear(r);
	return problems;
}

/*
 * On PostgreSQL the server keeps its own integrity (there is no
 * integrity_check); what is checked is ours: the schema version, its
 * tables and indexes, that the ids cannot come round again, that the
 * role is no superuser (a web host's compromise would be the whole
 * server's) and that text is stored as UTF-8.
 */
int
pg_check(struct pg *pg, void (*report)(void *, int, const char *), void *arg)
{
	PGresult	*r;
	int		 problems = 0, v, found, super;

	if (version(pg, &v) == -1)
		return -1;
	problems += finding(report, arg, v <= SCHEMA_VERSION,
	    "schema version %d (this program's is %d%s)", v, SCHEMA_VERSION,
	    v > SCHEMA_VERSION ? ": a newer program made it" :
	    v < SCHEMA_VERSION ? "; the next request brings it up" : "");
	if (v != SCHEMA_VERSION)
		finding(report, arg, 1, "tables and indexes: checked once the "
		    "schema is this program's");
	else if ((found = check_relations(pg, report, arg)) == -1)
		return -1;
	else
		problems += found;
	if ((r = run(pg, STMT_CHECK_ROLE, NULL, 0, "check")) == NULL)
		return -1;
	super = true_at(r, 1);
	problems += finding(report, arg, !super, "role %s: %s",
	    PQgetvalue(r, 0, 0), super ? "a superuser (give the service a "
	    "role of its own that owns its tables and no more)" :
	    "not a superuser");
	problems += finding(report, arg, strcmp(PQgetvalue(r, 0, 2), "UTF8") ==
	    0, "database encoding %s%s", PQgetvalue(r, 0, 2),
	    strcmp(PQgetvalue(r, 0, 2), "UTF8") == 0 ? "" : " (names that "
	    "it cannot hold are refused: make it UTF8)");
	PQclear(r);
	return problems;
}

void
pg_shown(const char *uri, char *buf, size_t len)
{
	mask_uri(uri, buf, len);
}

int
pg_exists(const char *uri)
{
	struct pg	*pg;
	int		 v = 0, rc = -1;

	if ((pg = calloc(1, sizeof(*pg))) == NULL) {
		fprintf(stderr, "db: calloc: %s\n", strerror(errno));
		return -1;
	}
	mask_uri(uri, pg->shown, sizeof(pg->shown));
	if ((pg->uri = strdup(uri)) == NULL)
		pg_log(pg, "open", "out of memory");
	else if (passwords(pg) == 0 && connect_db(pg) == 0 &&
	    version(pg, &v) == 0)
		rc = v > 0;
	pg_close(pg);
	return rc;
}

/*
 * authctl copy-to: the statements that read and write every kept row,
 * kept apart from the table above (the endpoints never run them).  A
 * copy reads each table in one statement, within one REPEATABLE READ
 * transaction: one snapshot of a site that fits in memory.
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
	COPY_PUT_IDS,
	COPY_PUT_SETTING,
	COPY_PUT_TOKEN,
	COPY_PUT_KNOWN,
	COPY_LOCK,
	COPY_EMPTY,
	COPY__MAX
};

#define COPY_TABLES "users, deleted_users, settings, tokens, " \
	"known_clients, events"

static const char *const copy_stmts[COPY__MAX] = {
	/* COPY_USERS: user_from's columns, then the keys as stored */
	"SELECT " USER_COLUMNS ", username_key, email_key FROM users "
	"ORDER BY id",
	/* COPY_DELETED */
	"SELECT id FROM deleted_users ORDER BY id",
	/* COPY_IDS: the largest id the sequence or anybody ever gave */
	"SELECT greatest(CASE WHEN is_called THEN last_value "
	"ELSE last_value - 1 END, "
	"(SELECT coalesce(max(id), 0) FROM deleted_users), "
	"(SELECT coalesce(max(id), 0) FROM users)) FROM users_id_seq",
	/* COPY_SETTINGS (in binary: the keys' bytes) */
	"SELECT name, value FROM settings ORDER BY name",
	/* COPY_TOKENS */
	"SELECT jti, user_id, kind, at, expires FROM tokens ORDER BY jti",
	/* COPY_KNOWN */
	"SELECT user_id, client, at FROM known_clients "
	"ORDER BY user_id, client",
	/* COPY_PUT_USER: as STMT_USER_IMPORT, the ids lock first */
	"WITH l AS (SELECT pg_advisory_xact_lock(" IDS_LOCK ")) "
	"INSERT INTO users (id, username, username_key, email, email_key, "
	"password, is_active, date_joined, last_login, tokens_valid_after) "
	"SELECT $1, $2, $3, $4, $5, $6, $7, $8, nullif($9, 0), $10 FROM l",
	/* COPY_PUT_DELETED */
	"INSERT INTO deleted_users (id) VALUES ($1)",
	/* COPY_PUT_IDS: register goes on after $1, never back */
	"SELECT setval('users_id_seq', $1) FROM users_id_seq "
	"WHERE $1 > CASE WHEN is_called THEN last_value "
	"ELSE last_value - 1 END",
	/* COPY_PUT_SETTING */
	"INSERT INTO settings (name, value) VALUES ($1, $2)",
	/* COPY_PUT_TOKEN */
	"INSERT INTO tokens (jti, user_id, kind, at, expires) "
	"VALUES ($1, $2, $3, $4, $5)",
	/* COPY_PUT_KNOWN */
	"INSERT INTO known_clients (user_id, client, at) VALUES ($1, $2, $3)",
	/*
	 * COPY_LOCK: until the copy commits, no host writes to the target
	 * (a request waits, or gets its 503 after the deadline).
	 */
	"LOCK TABLE " COPY_TABLES " IN SHARE ROW EXCLUSIVE MODE",
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

/* Run copy statement k: its result, or NULL logged (as run() does). */
static PGresult *
copy_run(struct pg *pg, enum copy_stmt k, const struct args *a, int flags)
{
	PGresult	*r;

	if ((r = request(pg, -1, copy_stmts[k], a, flags, "copy")) == NULL)
		return NULL;
	if (PQresultStatus(r) == PGRES_TUPLES_OK ||
	    PQresultStatus(r) == PGRES_COMMAND_OK)
		return r;
	server_error(pg, "copy", r);
	if (pg->depth > 0)
		pg->failed = 1;
	PQclear(r);
	return NULL;
}

/* The rows of the select k, each set into *row and given to fn. */
static int
copy_each(struct pg *pg, enum copy_stmt k, struct db_row *row,
    int (*fn)(const struct db_row *, void *), void *arg)
{
	PGresult	*r;
	long long	 kind;
	int		 i, n, rc = 0;

	if ((r = copy_run(pg, k, NULL, k == COPY_SETTINGS ? Q_BINARY : 0)) ==
	    NULL)
		return -1;
	for (i = 0, n = PQntuples(r); rc == 0 && i < n; i++) {
		switch (k) {
		case COPY_SETTINGS:
			row->name = PQgetvalue(r, i, 0);
			row->value = (const unsigned char *)PQgetvalue(r, i, 1);
			row->len = (size_t)PQgetlength(r, i, 1);
			break;
		case COPY_TOKENS:
			row->name = PQgetvalue(r, i, 0);
			if (int_at(pg, r, i, 1, &row->token.user_id) == -1 ||
			    int_at(pg, r, i, 2, &kind) == -1 ||
			    int_at(pg, r, i, 3, &row->token.at) == -1 ||
			    int_at(pg, r, i, 4, &row->expires) == -1)
				rc = -1;
			row->token.kind = (enum db_token_kind)kind;
			break;
		case COPY_KNOWN:
			row->name = PQgetvalue(r, i, 1);
			if (int_at(pg, r, i, 0, &row->id) == -1 ||
			    int_at(pg, r, i, 2, &row->at) == -1)
				rc = -1;
			break;
		default:	/* COPY_DELETED, COPY_IDS */
			rc = int_at(pg, r, i, 0, &row->id);
			break;
		}
		if (rc == 0 && (rc = fn(row, arg)) > 0)
			rc = 1;
	}
	PQclear(r);
	return rc;
}

/* The events, through pg_events: their rows as DB_ROW_EVENT. */
struct copy_events {
	int	(*fn)(const struct db_row *, void *);
	void	*arg;
	int	 stopped;	/* what fn last returned */
};

static int
copy_event(const struct db_eventrow *e, void *arg)
{
	struct copy_events *c = arg;
	struct db_row	 row;

	memset(&row, 0, sizeof(row));
	row.kind = DB_ROW_EVENT;
	row.event = e;
	return c->stopped = c->fn(&row, c->arg);
}

/* The users, with their keys as stored: 0, 1 (fn stopped) or -1. */
static int
copy_users(struct pg *pg, int (*fn)(const struct db_row *, void *),
    void *arg)
{
	struct db_row	 row;
	struct user	 u;
	PGresult	*r;
	int		 i, n, rc = 0;

	memset(&row, 0, sizeof(row));
	row.kind = DB_ROW_USER;
	if ((r = copy_run(pg, COPY_USERS, NULL, 0)) == NULL)
		return -1;
	for (i = 0, n = PQntuples(r); rc == 0 && i < n; i++) {
		if (user_from(pg, r, i, &u) == -1) {
			rc = -1;
			break;
		}
		row.user = &u;
		row.username_key = PQgetvalue(r, i, 8);
		row.email_key = PQgetvalue(r, i, 9);
		if ((rc = fn(&row, arg)) > 0)
			rc = 1;
		db_user_free(&u);
	}
	PQclear(r);
	return rc;
}

int
pg_export(struct pg *pg, int (*fn)(const struct db_row *, void *), void *arg)
{
	static const struct {
		enum db_rowkind	 kind;
		enum copy_stmt	 k;
	} tables[] = {
		{ DB_ROW_DELETED, COPY_DELETED },
		{ DB_ROW_IDS, COPY_IDS },
		{ DB_ROW_SETTING, COPY_SETTINGS },
		{ DB_ROW_TOKEN, COPY_TOKENS },
		{ DB_ROW_KNOWN, COPY_KNOWN },
	};
	struct copy_events ce = { fn, arg, 0 };
	struct db_row	 row;
	size_t		 i;
	int		 rc;

	if (begin(pg, "BEGIN ISOLATION LEVEL REPEATABLE READ") == -1)
		return -1;
	rc = copy_users(pg, fn, arg);
	for (i = 0; rc == 0 && i < sizeof(tables) / sizeof(tables[0]); i++) {
		memset(&row, 0, sizeof(row));
		row.kind = tables[i].kind;
		rc = copy_each(pg, tables[i].k, &row, fn, arg);
	}
	if (rc == 0 && (pg_events(pg, 0, 0, copy_event, &ce) == -1 ||
	    ce.stopped == -1))
		rc = -1;
	/* Nothing was written: a failure is the reading's only. */
	if (end(pg, rc == -1 ? -1 : 0) == -1)
		rc = -1;
	return rc == -1 ? -1 : 0;
}

int
pg_import(struct pg *pg, const struct db_row *row)
{
	const struct user *u = row->user;
	struct args	 a = { .n = 0 };
	enum copy_stmt	 k;
	PGresult	*r;

	switch (row->kind) {
	case DB_ROW_USER:
		k = COPY_PUT_USER;
		arg_int(&a, u->id);
		arg_text(&a, u->username);
		arg_text(&a, row->username_key);
		arg_text(&a, u->email);
		arg_text(&a, row->email_key);
		arg_text(&a, u->password);
		arg_int(&a, u->is_active != 0);
		arg_int(&a, u->date_joined);
		arg_int(&a, u->last_login);
		arg_int(&a, u->tokens_valid_after);
		break;
	case DB_ROW_DELETED:
		k = COPY_PUT_DELETED;
		arg_int(&a, row->id);
		break;
	case DB_ROW_IDS:
		if (row->id <= 0)
			return 0;
		k = COPY_PUT_IDS;
		arg_int(&a, row->id);
		break;
	case DB_ROW_SETTING:
		k = COPY_PUT_SETTING;
		arg_text(&a, row->name);
		arg_blob(&a, row->value, row->len);
		break;
	case DB_ROW_TOKEN:
		k = COPY_PUT_TOKEN;
		arg_text(&a, row->name);
		arg_int(&a, row->token.user_id);
		arg_int(&a, (long long)row->token.kind);
		arg_int(&a, row->token.at);
		arg_int(&a, row->expires);
		break;
	case DB_ROW_KNOWN:
		k = COPY_PUT_KNOWN;
		arg_int(&a, row->id);
		arg_text(&a, row->name);
		arg_int(&a, row->at);
		break;
	case DB_ROW_EVENT:
		return pg_event(pg, row->event->at, row->event->event,
		    row->event->user_id, row->event->client,
		    row->event->detail);
	default:
		return -1;
	}
	if ((r = copy_run(pg, k, &a, 0)) == NULL)
		return -1;
	PQclear(r);
	return 0;
}

int
pg_empty(struct pg *pg, const char **table)
{
	static const char *const names[] = { "users", "deleted_users",
	    "settings", "tokens", "known_clients", "events" };
	PGresult	*r;
	size_t		 i;
	int		 rc = 1;

	*table = NULL;
	/* Only a transaction holds a lock: a bare check just looks. */
	if (pg->depth > 0) {
		if ((r = copy_run(pg, COPY_LOCK, NULL, 0)) == NULL)
			return -1;
		PQclear(r);
	}
	if ((r = copy_run(pg, COPY_EMPTY, NULL, 0)) == NULL)
		return -1;
	if (PQntuples(r) > 0) {
		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (strcmp(PQgetvalue(r, 0, 0), names[i]) == 0)
				*table = names[i];
		rc = 0;
	}
	PQclear(r);
	return rc;
}
