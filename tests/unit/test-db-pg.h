/*
 * test-db.c's PostgreSQL-only cases (make DB=postgresql): what one
 * in-process database cannot show.  With CORNERS_AUTH_TEST_PG (the URI of
 * a database this role owns, as make test DB=postgresql gives it from
 * tests/pg.sh's cluster): several processes at once (concurrent first
 * migrations, the first signing key, the attempt counter and the name's
 * failures, a registration race), an import's ids moving the id
 * sequence, the server's clock, and a connection the server cut made
 * again.  Without a server: the 5 s
 * deadline against a socket that accepts and never answers, and the
 * URI's password kept out of the log.
 */
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "clock.h"

#define PG_HASH	"pbkdf2_sha256$1000$713P6a4S8qgiEX0W6mX8QM" \
		"$cI3g13kaAWUbjy5a9PQin2UeRHzFz4ysJJcom8yxbWQ="
#define PG_PROCS	8	/* processes racing */
#define PG_HITS		50	/* attempts counted by each */
#define PG_NAME_MAX	100	/* failures per name, of PG_PROCS * PG_HITS */
#define PG_PASSWORD	"Pa55-never-logged"

/* Run sql on uri with a connection of the test's own: 0 or -1 (said). */
static int
pg_sql(const char *uri, const char *sql, char *out, size_t outsz)
{
	PGconn		*c;
	PGresult	*r;
	int		 rc = -1;

	c = PQconnectdb(uri);
	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "test-db: connect: %s", PQerrorMessage(c));
		PQfinish(c);
		return -1;
	}
	r = PQexec(c, sql);
	if (PQresultStatus(r) == PGRES_COMMAND_OK ||
	    PQresultStatus(r) == PGRES_TUPLES_OK) {
		rc = 0;
		if (out != NULL && outsz > 0) {
			out[0] = '\0';
			if (PQntuples(r) > 0 && PQnfields(r) > 0)
				snprintf(out, outsz, "%s", PQgetvalue(r, 0, 0));
		}
	} else
		fprintf(stderr, "test-db: %s: %s", sql, PQerrorMessage(c));
	PQclear(r);
	PQfinish(c);
	return rc;
}

/*
 * Make the database at uri empty: its public schema dropped and made
 * again (the role owns the database, so it may).  0 or -1.
 */
static int
pg_empty(const char *uri)
{
	int	 rc;

	rc = pg_sql(uri, "SET client_min_messages = warning; "
	    "DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public",
	    NULL, 0);
	ASSERT(rc == 0);
	return rc;
}

/*
 * Run fn(uri, i) in PG_PROCS processes at once (each opening its own
 * connection), started together; each exit status (0-255, or 255 for a
 * process that did not exit) into st.  0, or -1 if they could not run.
 */
static int
pg_race(const char *uri, int (*fn)(const char *, int), int st[PG_PROCS])
{
	pid_t	 pid[PG_PROCS];
	int	 go[2], i, ws;
	char	 c;

	if (pipe(go) == -1)
		return -1;
	for (i = 0; i < PG_PROCS; i++) {
		fflush(NULL);
		if ((pid[i] = fork()) == -1)
			return -1;
		if (pid[i] == 0) {
			close(go[1]);
			/* Wait for the start: the parent closes the pipe. */
			while (read(go[0], &c, 1) == -1 && errno == EINTR)
				continue;
			_exit(fn(uri, i));
		}
	}
	close(go[0]);
	close(go[1]);
	for (i = 0; i < PG_PROCS; i++) {
		st[i] = 255;
		if (waitpid(pid[i], &ws, 0) == pid[i] && WIFEXITED(ws))
			st[i] = WEXITSTATUS(ws);
	}
	return 0;
}

/* A first request: open (migrating) and read the schema's figures. */
static int
race_open(const char *uri, int i)
{
	struct db	*db;
	struct db_stats	 st;
	int		 rc = 1;

	(void)i;
	if ((db = db_open(uri, DB_CREATE)) != NULL &&
	    db_stats(db, &st) == 0 && st.schema == st.schema_latest)
		rc = 0;
	db_close(db);
	return rc;
}

/*
 * key.c's first use: no key yet, so make one and store it unless another
 * was first, then use what is stored.  Exits with the stored key's first
 * byte (each process offers its own).
 */
static int
race_key(const char *uri, int i)
{
	struct db	*db;
	unsigned char	 mine[32], got[64];
	size_t		 len = sizeof(got);
	int		 rc = 255, found;

	memset(mine, 'a' + i, sizeof(mine));
	if ((db = db_open(uri, DB_CREATE)) != NULL &&
	    (found = db_secret_get(db, got, &len)) != -1 &&
	    (found == 1 || db_secret_put(db, mine, sizeof(mine)) == 0) &&
	    (len = sizeof(got), db_secret_get(db, got, &len)) == 1 &&
	    len == sizeof(mine))
		rc = got[0];
	db_close(db);
	return rc;
}

/* PG_HITS attempts of one client in one window: 0, or 1 on any error. */
static int
race_attempts(const char *uri, int i)
{
	struct db	*db;
	long long	 n = 0, last = 0;
	int		 k, rc = 1;

	(void)i;
	if ((db = db_open(uri, DB_CREATE)) != NULL) {
		for (k = 0; k < PG_HITS; k++) {
			if (db_attempt(db, 1, "198.51.100.7", 777, 999999,
			    &n) == -1 || n <= last)
				break;
			last = n;
		}
		rc = k == PG_HITS ? 0 : 1;
	}
	db_close(db);
	return rc;
}

/*
 * PG_HITS failed logins for one name (limit PG_NAME_MAX), each process
 * from its own client: exits with how many went on (reserved a failure
 * below the limit), or 255 on an error or a client count that is not
 * exact.
 */
static int
race_gate(const char *uri, int i)
{
	struct db	*db;
	struct db_gate	 g;
	char		 client[32];
	int		 k, open = 0, rc = 255;

	snprintf(client, sizeof(client), "198.51.100.%d", 10 + i);
	memset(&g, 0, sizeof(g));
	g.now = 10000;
	g.scope = 1;
	g.client = client;
	g.client_bucket = 33;
	g.client_expires = 10200;
	g.client_max = 1000000;
	g.name = "u:gated";
	g.name_bucket = 2;
	g.name_expires = 10800;
	g.name_max = PG_NAME_MAX;
	if ((db = db_open(uri, DB_CREATE)) != NULL) {
		for (k = 0; k < PG_HITS; k++) {
			if (db_login_gate(db, &g) == -1 || g.count != k + 1)
				break;
			if (g.verdict == DB_GATE_OPEN && g.reserved)
				open++;
			else if (g.verdict != DB_GATE_NAME || g.reserved)
				break;
		}
		if (k == PG_HITS)
			rc = open;
	}
	db_close(db);
	return rc;
}

/* One name registered by all: 0 got it, 1 taken, 2 anything else. */
static int
race_register(const char *uri, int i)
{
	struct db	*db;
	struct user	 u;
	enum db_taken	 taken = DB_DELETED_ID;
	long long	 id = 0;
	char		 email[64];
	int		 rc = 2;

	memset(&u, 0, sizeof(u));
	snprintf(email, sizeof(email), "racer%d@example.com", i);
	u.username = "Racer";
	u.email = email;
	u.password = PG_HASH;
	if ((db = db_open(uri, DB_CREATE)) != NULL &&
	    db_user_add(db, &u, "racer", email, 1000, &id, &taken) == 0) {
		if (taken == DB_FREE && id > 0)
			rc = 0;
		else if (taken == DB_TAKEN_USERNAME)
			rc = 1;
	}
	db_close(db);
	return rc;
}

/* Several processes at once, on a database made empty first. */
static void
test_pg_races(const char *uri)
{
	struct db	*db;
	int		 st[PG_PROCS], i, n;
	long long	 count = 0;
	char		 v[32];

	/* Concurrent first requests take turns migrating: all succeed. */
	if (pg_empty(uri) == -1)
		return;
	ASSERT(pg_race(uri, race_open, st) == 0);
	for (i = 0, n = 0; i < PG_PROCS; i++)
		n += st[i] == 0;
	ASSERT(n == PG_PROCS);
	ASSERT(pg_sql(uri, "SELECT count(*) FROM schema_version", v,
	    sizeof(v)) == 0 && strcmp(v, "1") == 0);

	/* The first key made by several at once ends up one key. */
	ASSERT(pg_race(uri, race_key, st) == 0);
	for (i = 1; i < PG_PROCS; i++)
		ASSERT(st[i] == st[0]);
	ASSERT(st[0] >= 'a' && st[0] < 'a' + PG_PROCS);

	/* The attempt counter is exact under concurrency. */
	ASSERT(pg_race(uri, race_attempts, st) == 0);
	for (i = 0, n = 0; i < PG_PROCS; i++)
		n += st[i] == 0;
	ASSERT(n == PG_PROCS);
	if ((db = db_open(uri, DB_CREATE)) != NULL) {
		ASSERT(db_attempt(db, 1, "198.51.100.7", 777, 999999,
		    &count) == 0 && count == PG_PROCS * PG_HITS + 1);
		db_close(db);
	} else
		ASSERT(db != NULL);

	/*
	 * The name's failures too: exactly the limit go on, across
	 * processes, and every client's own count is exact.
	 */
	ASSERT(pg_race(uri, race_gate, st) == 0);
	for (i = 0, n = 0; i < PG_PROCS; i++) {
		ASSERT(st[i] <= PG_HITS);
		n += st[i] <= PG_HITS ? st[i] : 0;
	}
	ASSERT(n == PG_NAME_MAX);
	ASSERT(pg_sql(uri, "SELECT count FROM name_failures WHERE "
	    "name = 'u:gated'", v, sizeof(v)) == 0 && atoi(v) == PG_NAME_MAX);

	/* A registration race for one name: exactly one gets it. */
	ASSERT(pg_race(uri, race_register, st) == 0);
	for (i = 0, n = 0; i < PG_PROCS; i++)
		n += st[i] == 0;
	ASSERT(n == 1);
	for (i = 0, n = 0; i < PG_PROCS; i++)
		n += st[i] == 1;
	ASSERT(n == PG_PROCS - 1);
}

/* Ids, the server's clock and a connection the server cut. */
/*
 * PUT me/password holds user id's row while it stores its pair's fresh
 * rows, and a revocation (another host) waits for that row: once both
 * are done, none of those rows is left.  The revocation's DELETE must see
 * what the change committed while it waited (a statement of its own, not
 * the UPDATE's, whose snapshot is older).
 */
static void
test_pg_unfresh(const char *uri, struct db *db, long long id)
{
	struct db	*other;
	pid_t		 pid;
	long long	 now = 0, at = 0;
	int		 go[2], ws = 0;
	char		 c, v[32], sql[128];

	if (pipe(go) == -1) {
		ASSERT(0);
		return;
	}
	ASSERT(db_begin(db) == 0 && (now = db_now(db)) > 0);
	ASSERT(db_user_swap_password(db, id, PG_HASH, PG_HASH, now) == 1);
	ASSERT(db_token_put(db, "+fresh-during-change", id, DB_TOKEN_FRESH,
	    now, now + 300, NULL) == 0);
	fflush(NULL);
	if ((pid = fork()) == 0) {
		close(go[0]);
		if ((other = db_open(uri, DB_EXISTING)) == NULL ||
		    write(go[1], "g", 1) != 1)
			_exit(2);
		_exit(db_user_revoke(other, id, &at) == 1 ? 0 : 1);
	}
	close(go[1]);
	/* The child is connected; its revocation then waits for the row. */
	ASSERT(pid != -1 && read(go[0], &c, 1) == 1);
	close(go[0]);
	usleep(300000);
	ASSERT(db_end(db, 0) == 0);
	ASSERT(pid != -1 && waitpid(pid, &ws, 0) == pid && WIFEXITED(ws) &&
	    WEXITSTATUS(ws) == 0);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM tokens WHERE "
	    "user_id = %lld AND kind = 2", id);
	ASSERT(pg_sql(uri, sql, v, sizeof(v)) == 0 && strcmp(v, "0") == 0);
}

static void
test_pg_server(const char *uri)
{
	struct db	*db;
	struct user	 u, got;
	enum db_taken	 taken = DB_DELETED_ID;
	long long	 id = 0, now, at = 0, t0;
	char		 v[32];
	PGconn		*lock;
	PGresult	*r;
	pid_t		 pid;
	int		 i, ws;

	if ((db = db_open(uri, DB_SERVE)) == NULL) {
		ASSERT(db != NULL);
		return;
	}
	/* An import's explicit id moves the sequence past it. */
	memset(&u, 0, sizeof(u));
	u.id = 500000;
	u.username = "imported-far";
	u.email = "far@example.com";
	u.password = PG_HASH;
	u.is_active = 1;
	u.date_joined = 1000;
	ASSERT(db_user_import(db, &u, "imported-far", "far@example.com",
	    &taken) == 0 && taken == DB_FREE);
	u.username = "after-import";
	u.email = "after@example.com";
	ASSERT(db_user_add(db, &u, "after-import", "after@example.com", 1000,
	    &id, &taken) == 0 && taken == DB_FREE && id == 500001);
	/* A deleted id is not given again, nor imported again. */
	ASSERT(db_user_delete(db, id, NULL) == 1);
	u.username = "next";
	u.email = "next@example.com";
	ASSERT(db_user_add(db, &u, "next", "next@example.com", 1000, &id,
	    &taken) == 0 && taken == DB_FREE && id == 500002);

	/* The clock is the server's (here, this host's), in Unix seconds. */
	t0 = (long long)time(NULL);
	now = db_now(db);
	ASSERT(now >= t0 - 2 && now <= (long long)time(NULL) + 2);
	ASSERT(db_user_revoke(db, id, &at) == 1 && at >= now &&
	    at <= db_now(db));
	ASSERT(db_user_by_id(db, id, &got) == 1 &&
	    got.tokens_valid_after == at);
	db_user_free(&got);
	/*
	 * Exactly the server's second, read between two of the server's own
	 * in one second (here one machine: this cannot tell the server's
	 * clock from this host's, only that db_now asks the server).
	 */
	for (i = 0; i < 3; i++) {
		ASSERT(pg_sql(uri, "SELECT floor(extract(epoch FROM "
		    "clock_timestamp()))::bigint", v, sizeof(v)) == 0);
		t0 = strtoll(v, NULL, 10);
		now = db_now(db);
		ASSERT(pg_sql(uri, "SELECT floor(extract(epoch FROM "
		    "clock_timestamp()))::bigint", v, sizeof(v)) == 0);
		if (strtoll(v, NULL, 10) == t0)
			break;
	}
	ASSERT(i < 3 && now == t0);
	test_pg_unfresh(uri, db, id);

	/*
	 * The server cuts the connection (a restart, a failover) while the
	 * process is idle: the next call connects again, and succeeds.
	 */
	ASSERT(pg_sql(uri, "SELECT count(pg_terminate_backend(pid)) FROM "
	    "pg_stat_activity WHERE application_name = 'corners-auth' AND "
	    "pid <> pg_backend_pid()", v, sizeof(v)) == 0 &&
	    strcmp(v, "0") != 0);
	usleep(200000);
	ASSERT(db_now(db) > 0);
	ASSERT(db_user_by_id(db, id, &got) == 1);
	db_user_free(&got);

	/*
	 * What the request does between statements (a hash, here 5.5 s of
	 * sleep) is not waiting for the database: its reads still go.
	 */
	db_tidy(db);
	ASSERT(db_now(db) > 0);
	usleep(5500000);
	ASSERT(db_user_by_id(db, id, &got) == 1);
	db_user_free(&got);

	/*
	 * An endpoint's request (DB_SERVE) waits 5 s in all, not 5 s per
	 * statement: with users locked by another session, its first read
	 * waits the 5 s out and its second fails at once; the next request
	 * (after db_tidy, as a FastCGI process between requests) has 5 s of
	 * its own.
	 */
	lock = PQconnectdb(uri);
	r = PQexec(lock, "BEGIN; LOCK TABLE users IN ACCESS EXCLUSIVE MODE");
	ASSERT(PQresultStatus(r) == PGRES_COMMAND_OK);
	PQclear(r);
	db_tidy(db);
	t0 = clock_ms();
	ASSERT(db_user_by_id(db, id, &got) == -1);
	ASSERT(db_user_by_id(db, id, &got) == -1);
	t0 = clock_ms() - t0;
	ASSERT(t0 >= 4500 && t0 < 6500);
	PQclear(PQexec(lock, "ROLLBACK"));
	PQfinish(lock);
	db_tidy(db);
	ASSERT(db_user_by_id(db, id, &got) == 1);
	db_user_free(&got);
	db_close(db);

	/*
	 * authctl's statements wait longer (a purge of a large table): one
	 * held up 6 s by that lock still succeeds.
	 */
	fflush(NULL);
	if ((pid = fork()) == 0) {
		lock = PQconnectdb(uri);
		r = PQexec(lock, "BEGIN; LOCK TABLE users IN ACCESS "
		    "EXCLUSIVE MODE");
		PQclear(r);
		sleep(6);
		PQclear(PQexec(lock, "ROLLBACK"));
		PQfinish(lock);
		_exit(0);
	}
	for (i = 0; i < 100; i++) {
		if (pg_sql(uri, "SELECT count(*) FROM pg_locks WHERE "
		    "relation = 'users'::regclass AND "
		    "mode = 'AccessExclusiveLock'", v, sizeof(v)) == 0 &&
		    strcmp(v, "1") == 0)
			break;
		usleep(30000);
	}
	ASSERT(i < 100);
	ASSERT((db = db_open(uri, DB_EXISTING)) != NULL);
	t0 = clock_ms();
	ASSERT(db != NULL && db_user_by_id(db, id, &got) == 1);
	ASSERT(clock_ms() - t0 >= 4000);
	db_user_free(&got);
	db_close(db);
	ASSERT(pid > 0 && waitpid(pid, &ws, 0) == pid);
}

/*
 * Run db_open(uri) with stderr into a file; its log into log (size n).
 * Returns what db_open returned (closed) as non-zero for a database.
 */
static int
pg_open_logged(const char *uri, char *log, size_t n, long long *ms)
{
	char		 path[] = "/tmp/test-db-log.XXXXXX";
	struct db	*db;
	int		 fd, saved;
	ssize_t		 got;
	long long	 t0;

	log[0] = '\0';
	if ((fd = mkstemp(path)) == -1)
		return -1;
	unlink(path);
	fflush(stderr);
	saved = dup(2);
	dup2(fd, 2);
	t0 = clock_ms();
	db = db_open(uri, DB_CREATE);
	*ms = clock_ms() - t0;
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	db_close(db);
	if ((got = pread(fd, log, n - 1, 0)) > 0)
		log[got] = '\0';
	close(fd);
	return db != NULL;
}

/*
 * No server needed: a socket that accepts and never answers meets the 5 s
 * deadline (503, never a hang), and neither log shows the password.
 */
static void
test_pg_deadline(void)
{
	struct sockaddr_un sun;
	static const char *const odd[] = {
		"Pa55/never-logged", "Pa55@never-logged",
		"Pa55/never@logged", "Pa55@never-logged/x"
	};
	char		 dir[] = "/tmp/test-db-pg.XXXXXX", uri[512], log[4096];
	char		 shown[512];
	long long	 ms = 0;
	size_t		 i;
	int		 s = -1;

	if (mkdtemp(dir) == NULL) {
		ASSERT(0);
		return;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/.s.PGSQL.5432", dir);
	/* Listening, never accepting: the kernel completes the connect. */
	ASSERT((s = socket(AF_UNIX, SOCK_STREAM, 0)) != -1 &&
	    bind(s, (struct sockaddr *)&sun, sizeof(sun)) == 0 &&
	    listen(s, 8) == 0);
	snprintf(uri, sizeof(uri), "postgresql://someone:" PG_PASSWORD
	    "@%%2Ftmp%%2F%s:5432/nothing", dir + 5);
	ASSERT(pg_open_logged(uri, log, sizeof(log), &ms) == 0);
	ASSERT(ms >= 4500 && ms < 8000);
	ASSERT(strstr(log, "no answer within 5 s") != NULL);
	ASSERT(strstr(log, PG_PASSWORD) == NULL);
	ASSERT(strstr(log, "someone:***@") != NULL);
	close(s);
	unlink(sun.sun_path);
	rmdir(dir);

	/* Refused at once (no server there), the password in a parameter. */
	snprintf(uri, sizeof(uri), "postgresql://someone@%%2Fnonexistent-dir"
	    ":5432/nothing?password=" PG_PASSWORD "&sslpassword=" PG_PASSWORD);
	ASSERT(pg_open_logged(uri, log, sizeof(log), &ms) == 0);
	ASSERT(ms < 4500);
	ASSERT(log[0] != '\0' && strstr(log, PG_PASSWORD) == NULL);

	/*
	 * A password holding an unencoded '/' or '@': libpq reads the part
	 * after the '/' as the database (and the part before as a port,
	 * which its message quotes), or the part after the first '@' as the
	 * host; neither part reaches the log.  The host parameter keeps
	 * libpq from looking a name up.
	 */
	for (i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
		snprintf(uri, sizeof(uri), "postgresql://someone:%s@x/nothing"
		    "?host=%%2Fnonexistent-dir", odd[i]);
		ASSERT(pg_open_logged(uri, log, sizeof(log), &ms) == 0);
		ASSERT(ms < 4500);
		ASSERT(log[0] != '\0' && strstr(log, "Pa55") == NULL &&
		    strstr(log, "never-logged") == NULL);
		ASSERT(strstr(db_shown(uri, shown, sizeof(shown)),
		    "someone:***@x/nothing?host=") != NULL);
	}
	/* One holding '?': libpq's password, masked wherever it stands. */
	ASSERT(strcmp(db_shown("postgresql://someone:Pa55?never-logged@x/db",
	    shown, sizeof(shown)), "postgresql://someone:***@x/db") == 0);
	ASSERT(strcmp(db_shown("postgresql://someone:Pa55@x/db?sslmode=require",
	    shown, sizeof(shown)), "postgresql://someone:***@x/db?sslmode="
	    "require") == 0);
}

/*
 * A kept handle (a FastCGI process) prepares its statements, once per
 * connection, on a session of its own, and not through pgbouncer (via),
 * whose transaction pooling would run them on other clients' sessions.
 */
static void
test_pg_prepares(const char *uri, const char *via)
{
	const char	*to[2] = { uri, via };
	struct db	*db;
	struct user	 u;
	unsigned char	 key[64];
	size_t		 len;
	int		 i, n;

	for (i = 0; i < 2 && to[i] != NULL; i++) {
		ASSERT((db = db_open(to[i], DB_CREATE)) != NULL);
		if (db == NULL)
			return;
		ASSERT(db_prepares(db) == 0);	/* one request: no gain */
		db_keep(db);
		ASSERT(db_prepares(db) == (i == 0));
		for (n = 0; n < 3; n++) {
			len = sizeof(key);
			ASSERT(db_user_with_key(db, 1, &u, key, &len) >= 0 &&
			    db_now(db) > 0);
			db_user_free(&u);
		}
		ASSERT(db_prepares(db) == (i == 0));
		db_close(db);
	}
}

/*
 * An import takes the ids lock (common/db-pg.c IDS_LOCK) before it writes
 * its row, as a registration does: while another session holds that lock
 * (a registration between taking it and inserting), the import waits
 * without a row, so that registration's insert of the same name goes
 * through at once and the import finds the name taken.  Taken after the
 * row (the id trigger), the two waited for each other: a deadlock.
 */
static void
test_pg_import_lock(const char *uri)
{
	PGconn		*s;
	PGresult	*r;
	pid_t		 pid;
	long long	 t0;
	char		 v[32];
	int		 i, ws, ok;

	s = PQconnectdb(uri);
	r = PQexec(s, "BEGIN; SELECT pg_advisory_xact_lock(7165071349921703027)");
	ASSERT(PQresultStatus(r) == PGRES_TUPLES_OK);
	PQclear(r);
	fflush(NULL);
	if ((pid = fork()) == 0) {
		struct db	*db = db_open(uri, DB_EXISTING);
		struct user	 u = { .id = 1000000, .username = "Locked",
		    .email = "locked@example.com", .password = PG_HASH,
		    .is_active = 1, .date_joined = 1000 };
		enum db_taken	 taken = DB_FREE;

		ok = db != NULL && db_user_import(db, &u, "locked",
		    "locked@example.com", &taken) == 0 &&
		    taken == DB_TAKEN_USERNAME;
		db_close(db);
		_exit(ok ? 0 : 1);
	}
	ASSERT(pid > 0);
	for (i = 0; i < 100; i++) {	/* the import waits for the lock */
		if (pg_sql(uri, "SELECT count(*) FROM pg_locks WHERE "
		    "locktype = 'advisory' AND NOT granted", v, sizeof(v)) ==
		    0 && strcmp(v, "1") == 0)
			break;
		usleep(30000);
	}
	ASSERT(i < 100);
	t0 = clock_ms();
	r = PQexec(s, "INSERT INTO users (username, username_key, email, "
	    "email_key, password, is_active, date_joined) VALUES ('locked', "
	    "'locked', 'other@example.com', 'other@example.com', 'x', 1, 1)");
	ASSERT(PQresultStatus(r) == PGRES_COMMAND_OK);
	ASSERT(clock_ms() - t0 < 900);	/* PostgreSQL's deadlock_timeout: 1 s */
	PQclear(r);
	PQclear(PQexec(s, "COMMIT"));
	PQfinish(s);
	ASSERT(pid > 0 && waitpid(pid, &ws, 0) == pid && WIFEXITED(ws) &&
	    WEXITSTATUS(ws) == 0);
}

static void
test_pg(const char *uri)
{
	test_pg_deadline();
	if (uri == NULL)
		return;
	test_pg_races(uri);
	test_pg_server(uri);
	test_pg_prepares(uri, getenv("CORNERS_AUTH_TEST_PG_VIA"));
	test_pg_import_lock(uri);
}
