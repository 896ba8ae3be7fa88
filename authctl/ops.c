/*
 * authctl secret ..., purge, stats and check: the signing key and the
 * database as a whole.
 */
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cJSON.h>

#include "auth.h"
#include "authctl.h"
#include "conf.h"
#include "crypto.h"
#include "db.h"
#include "key.h"
#include "names.h"
#include "pw.h"
#include "rate.h"


/* Where the endpoints take the key from: a variable's name, or NULL. */
static const char *
key_variable(const struct conf *cf)
{
	if (cf->secretlen == 0)
		return NULL;
	return getenv("AUTH_JWT_SECRET") != NULL ? "AUTH_JWT_SECRET" :
	    "AUTH_JWT_SECRET_FILE";
}

int
cmd_secret_rotate(struct ctl *c)
{
	unsigned char	 key[CONF_SECRET_MAX];
	const char	*var = key_variable(&c->app.cf);
	size_t		 len = sizeof(key);
	long long	 now = time(NULL), until = 0;
	char		 t[32], detail[48];
	int		 rc;

	if (var != NULL)
		return ctl_fail("the signing key is set by %s, not kept in the "
		    "database: change it there", var);
	/* Opened only now, so that a refusal creates no database. */
	if (ctl_open(c, DB_CREATE, 0) != CTL_OK)
		return CTL_FAILED;
	/* One previous key is kept: one still in its grace is dropped. */
	if (db_secret_previous(c->app.db, key, &len, &until) == 1 &&
	    until > now)
		printf("the key in its grace until %s no longer verifies\n",
		    ctl_time(until, t));
	if (crypto_random(key, KEY_BYTES) == -1) {
		crypto_cleanse(key, sizeof(key));
		return ctl_fail("no random bytes (see above)");
	}
	/* The key and its "key_rotated" event, in one transaction. */
	snprintf(detail, sizeof(detail), "grace %lld s", c->grace);
	if (db_begin(c->app.db) == -1)
		rc = -1;
	else {
		rc = db_secret_rotate(c->app.db, key, KEY_BYTES,
		    c->grace > 0 ? now + c->grace : 0);
		if (rc != -1 && db_event(c->app.db, now, "key_rotated", 0, NULL,
		    detail) == -1)
			rc = -1;
		if (db_end(c->app.db, rc == -1) == -1)
			rc = -1;
	}
	crypto_cleanse(key, sizeof(key));
	if (rc == -1)
		return ctl_fail("rotating the key failed (see above)");
	if (rc == 0)
		printf("signing key made (there was none yet)\n");
	else if (c->grace > 0)
		printf("signing key rotated; the previous key verifies tokens "
		    "until %s\n", ctl_time(now + c->grace, t));
	else
		printf("signing key rotated; tokens signed with the previous "
		    "key no longer verify\n");
	return CTL_OK;
}

int
cmd_secret_show_source(struct ctl *c)
{
	unsigned char	 key[CONF_SECRET_MAX];
	size_t		 len = sizeof(key);
	const char	*var = key_variable(&c->app.cf);
	long long	 until = 0, now = time(NULL);
	char		 t[32], shown[CONF_PATH_MAX];
	int		 found;

	if (var != NULL && strcmp(var, "AUTH_JWT_SECRET") == 0)
		printf("environment (AUTH_JWT_SECRET), %zu bytes\n",
		    c->app.cf.secretlen);
	else if (var != NULL)
		printf("file %s (AUTH_JWT_SECRET_FILE), %zu bytes\n",
		    ctl_visible(getenv("AUTH_JWT_SECRET_FILE")),
		    c->app.cf.secretlen);
	if (var != NULL)
		return CTL_OK;	/* no database needed */
	if (ctl_open(c, DB_INSPECT, 0) != CTL_OK)
		return CTL_FAILED;
	found = db_secret_get(c->app.db, key, &len);
	db_shown(c->app.cf.db_path, shown, sizeof(shown));
	if (found == 1)
		printf("database %s, %zu bytes\n", ctl_visible(shown), len);
	else if (found == 0)
		printf("database %s: none yet (the first request that needs "
		    "one generates it)\n", ctl_visible(shown));
	if (found == 1 && (found = db_secret_previous(c->app.db, key, &len,
	    &until)) == 1 && until > now)
		printf("previous key: database, %zu bytes, verifies tokens "
		    "until %s\n", len, ctl_time(until, t));
	crypto_cleanse(key, sizeof(key));
	return found == -1 ? ctl_fail("reading the key failed (see above)") :
	    CTL_OK;
}

int
cmd_purge(struct ctl *c)
{
	struct db_purged p;
	long long	 now = time(NULL);

	if (db_purge(c->app.db, now, now - c->app.cf.event_days * 86400,
	    now - RATE_KNOWN_DAYS * 86400LL, &p) == -1)
		return ctl_fail("purge failed (see above)");
	printf("attempt-counter rows deleted: %lld\n", p.attempts);
	printf("expired logged-out and spent tokens deleted: %lld\n", p.tokens);
	printf("ended name-failure windows deleted: %lld\n", p.names);
	printf("clients not seen for %d days forgotten: %lld\n",
	    RATE_KNOWN_DAYS, p.known);
	printf("events older than %lld days deleted: %lld\n",
	    c->app.cf.event_days, p.events);
	if (p.previous_key)
		printf("previous signing key deleted (its grace is over)\n");
	return CTL_OK;
}

/* One event of events, as a line or an element of the JSON array. */
static int
event_one(const struct db_eventrow *e, void *arg)
{
	struct ctl_list	*l = arg;
	char		 t[32];
	cJSON		*o;

	if (!l->json) {
		printf("%s\t%s\t%s\t%s\t%s\n", ctl_time(e->at, t),
		    ctl_visible(e->event), e->user_id != 0 ?
		    ctl_id(e->user_id) : "-", *e->client != '\0' ?
		    ctl_visible(e->client) : "-", *e->detail != '\0' ?
		    ctl_visible(e->detail) : "-");
		l->n++;
		return 0;
	}
	if ((o = cJSON_CreateObject()) == NULL ||
	    cJSON_AddNumberToObject(o, "id", (double)e->id) == NULL ||
	    cJSON_AddStringToObject(o, "at", ctl_time(e->at, t)) == NULL ||
	    cJSON_AddStringToObject(o, "event", e->event) == NULL ||
	    (e->user_id != 0 ? cJSON_AddNumberToObject(o, "user_id",
	    (double)e->user_id) : cJSON_AddNullToObject(o, "user_id")) ==
	    NULL ||
	    (*e->client != '\0' ? cJSON_AddStringToObject(o, "client",
	    e->client) : cJSON_AddNullToObject(o, "client")) == NULL ||
	    (*e->detail != '\0' ? cJSON_AddStringToObject(o, "detail",
	    e->detail) : cJSON_AddNullToObject(o, "detail")) == NULL) {
		cJSON_Delete(o);
		o = NULL;
	}
	return ctl_json_item(o, &l->n);
}

int
cmd_events(struct ctl *c)
{
	struct ctl_list	 l = { c->json, 0 };
	struct user	 u;
	long long	 id = 0;

	/* id:N also names a deleted user, whose events stay. */
	if (c->user != NULL && strncmp(c->user, "id:", 3) == 0) {
		if (ctl_number(c->user + 3, 1, LLONG_MAX, &id) == -1)
			return ctl_fail("%s: not an id", ctl_visible(c->user));
	} else if (c->user != NULL) {
		if (ctl_find_user(c, c->user, &u) != CTL_OK)
			return CTL_FAILED;
		id = u.id;
		db_user_free(&u);
	}
	if (!c->json)
		printf("time\tevent\tuser\tclient\tdetail\n");
	if (db_events(c->app.db, id, c->since, event_one, &l) == -1) {
		if (l.json && l.n > 0)
			printf("\n");
		return ctl_fail("listing the events failed (see above)");
	}
	if (c->json)
		ctl_json_end(l.n);
	return CTL_OK;
}

/*
 * The files SQLite keeps beside the database (its write-ahead log and the
 * log's index), which the operator's checks and figures look at.
 */
static const char *const sidecars[] = { "-wal", "-shm" };

/* The size of path + suffix, 0 if it does not exist, -1 (said) on error. */
static long long
file_size(const char *path, const char *suffix)
{
	char		 name[CONF_PATH_MAX + 8];
	struct stat	 sb;

	snprintf(name, sizeof(name), "%s%s", path, suffix);
	if (stat(name, &sb) == -1) {
		if (errno == ENOENT)
			return 0;
		ctl_fail("%s: %s", ctl_visible(name), strerror(errno));
		return -1;
	}
	return (long long)sb.st_size;
}

int
cmd_stats(struct ctl *c)
{
	struct db_stats	 st;
	long long	 wal;
	cJSON		*o;

	if (db_stats(c->app.db, &st) == -1)
		return ctl_fail("stats failed (see above)");
	/* PostgreSQL's write-ahead log is the server's, not ours: 0. */
	wal = 0;
	if (!db_is_pg(c->app.cf.db_path) &&
	    (wal = file_size(c->app.cf.db_path, sidecars[0])) == -1)
		return CTL_FAILED;
	if (!c->json) {
		printf("users: %lld\nactive_users: %lld\n"
		    "attempt_rows: %lld\ntoken_rows: %lld\ndb_bytes: %lld\n"
		    "wal_bytes: %lld\nschema_version: %d\n", st.users,
		    st.active_users, st.attempts, st.tokens, st.bytes, wal,
		    st.schema);
		return CTL_OK;
	}
	if ((o = cJSON_CreateObject()) == NULL ||
	    cJSON_AddNumberToObject(o, "users", (double)st.users) == NULL ||
	    cJSON_AddNumberToObject(o, "active_users",
	    (double)st.active_users) == NULL ||
	    cJSON_AddNumberToObject(o, "attempt_rows",
	    (double)st.attempts) == NULL ||
	    cJSON_AddNumberToObject(o, "token_rows", (double)st.tokens) == NULL ||
	    cJSON_AddNumberToObject(o, "db_bytes", (double)st.bytes) == NULL ||
	    cJSON_AddNumberToObject(o, "wal_bytes", (double)wal) == NULL ||
	    cJSON_AddNumberToObject(o, "schema_version", st.schema) == NULL) {
		cJSON_Delete(o);
		return ctl_fail("out of memory");
	}
	return ctl_print_json(o) == 0 ? CTL_OK : CTL_FAILED;
}

static void
report(void *arg, int ok, const char *what)
{
	(void)arg;
	printf("%s %s\n", ok ? "ok     " : "PROBLEM", ctl_visible(what));
}

#define NAME_MAX_LEN	64	/* a user's or group's name as printed */
#define GROUPS_MAX	256	/* a user's groups looked at by may_read */

/* A user's name, or "uid N", into buf[NAME_MAX_LEN]. */
static const char *
user_name(uid_t uid, char *buf)
{
	struct passwd	*pw = getpwuid(uid);
	int		 n = -1;

	if (pw != NULL)
		n = snprintf(buf, NAME_MAX_LEN, "%s", pw->pw_name);
	if (n < 0 || n >= NAME_MAX_LEN)
		snprintf(buf, NAME_MAX_LEN, "uid %u", (unsigned)uid);
	return buf;
}

/* A group's name, or "gid N", into buf[NAME_MAX_LEN]. */
static const char *
group_name(gid_t gid, char *buf)
{
	struct group	*gr = getgrgid(gid);
	int		 n = -1;

	if (gr != NULL)
		n = snprintf(buf, NAME_MAX_LEN, "%s", gr->gr_name);
	if (n < 0 || n >= NAME_MAX_LEN)
		snprintf(buf, NAME_MAX_LEN, "gid %u", (unsigned)gid);
	return buf;
}

/*
 * Whether user uid, with the groups it is given at login (as a web server
 * takes them when it drops root), may read a file of sb: the owner's bits
 * for its owner, the group's for its group's members, else the others'.
 */
static int
may_read(uid_t uid, const struct stat *sb)
{
	struct passwd	*pw;
	gid_t		 groups[GROUPS_MAX];
	int		 i, n = GROUPS_MAX;

	if (uid == 0)
		return 1;
	if (uid == sb->st_uid)
		return (sb->st_mode & S_IRUSR) != 0;
	if ((pw = getpwuid(uid)) != NULL &&
	    getgrouplist(pw->pw_name, pw->pw_gid, groups, &n) != -1)
		for (i = 0; i < n; i++)
			if (groups[i] == sb->st_gid)
				return (sb->st_mode & S_IRGRP) != 0;
	return (sb->st_mode & S_IROTH) != 0;
}

/*
 * The user the web server runs as: the database's owner (corners-auth(8),
 * FILES), that is the owner of AUTH_DB, or of its directory while
 * the file does not exist yet.  Returns 0, or -1 when neither can be seen.
 */
static int
server_user(const char *db_path, uid_t *uid)
{
	char		 dir[CONF_PATH_MAX];
	char		*slash;
	struct stat	 sb;

	if (stat(db_path, &sb) == 0) {
		*uid = sb.st_uid;
		return 0;
	}
	if (errno != ENOENT || (size_t)snprintf(dir, sizeof(dir), "%s",
	    db_path) >= sizeof(dir))
		return -1;
	if ((slash = strrchr(dir, '/')) == NULL)
		snprintf(dir, sizeof(dir), ".");
	else
		slash[slash == dir] = '\0';	/* "/auth.db": "/" */
	if (stat(dir, &sb) == -1)
		return -1;
	*uid = sb.st_uid;
	return 0;
}

/* What the bits m of one class allow (r, w: its read and write bits). */
static const char *
allows(mode_t m, mode_t r, mode_t w)
{
	if ((m & r) && (m & w))
		return "read and write";
	if (m & r)
		return "read";
	if (m & w)
		return "write";
	return m != 0 ? "execute" : NULL;
}

/* Append to the string in buf (of size len) as printf would, truncating. */
static void __attribute__((format(printf, 3, 4)))
append(char *buf, size_t len, const char *fmt, ...)
{
	size_t	 used = strlen(buf);
	va_list	 ap;

	va_start(ap, fmt);
	(void)vsnprintf(buf + used, len - used, fmt, ap);	/* truncates */
	va_end(ap);
}

/*
 * AUTH_JWT_SECRET_FILE, when set, is for the web server's eyes only: owned
 * by the user it runs as (the database's owner) and readable by nobody
 * else.  One line gives the file's mode and owner and, when it is not so,
 * who else may read it, whether the web server can, and what to run.
 */
static int
secret_file_mode(const struct conf *cf)
{
	const char	*path = getenv("AUTH_JWT_SECRET_FILE");
	const char	*g, *o;
	struct stat	 sb;
	uid_t		 server;
	char		 line[CONF_PATH_MAX + 640], why[512] = "";
	char		 fix[128] = "";
	char		 name[NAME_MAX_LEN], group[NAME_MAX_LEN];
	int		 ok;

	if (path == NULL || stat(path, &sb) == -1)
		return 0;	/* AUTH_JWT_SECRET, or conf_load said it */
	g = allows(sb.st_mode & 070, S_IRGRP, S_IWGRP);
	o = allows(sb.st_mode & 007, S_IROTH, S_IWOTH);
	group_name(sb.st_gid, group);
	if (g != NULL && o != NULL && strcmp(g, o) == 0)
		append(why, sizeof(why), "group %s and others may %s the "
		    "signing key", group, g);
	else if (g != NULL && o != NULL)
		append(why, sizeof(why), "group %s may %s the signing key, "
		    "others may %s it", group, g, o);
	else if (g != NULL)
		append(why, sizeof(why), "group %s may %s the signing key",
		    group, g);
	else if (o != NULL)
		append(why, sizeof(why), "others may %s the signing key", o);
	/* A URI's database has no owner here to compare with. */
	if (!db_is_pg(cf->db_path) && server_user(cf->db_path, &server) == 0) {
		user_name(server, name);
		if (!may_read(server, &sb) || sb.st_uid != server)
			append(why, sizeof(why), "%sthe web server, running as "
			    "%s (the database's owner), %s", why[0] != '\0' ?
			    "; " : "", name, may_read(server, &sb) ?
			    "should own it" : "cannot read it");
		if (sb.st_uid != server)
			append(fix, sizeof(fix), "chown %s", name);
	} else if ((sb.st_mode & S_IRUSR) == 0)
		append(why, sizeof(why), "%sits owner cannot read it",
		    why[0] != '\0' ? "; " : "");
	/* chown first: chmod 600 on another's file locks the server out. */
	if ((sb.st_mode & 077) != 0 || (sb.st_mode & S_IRUSR) == 0)
		append(fix, sizeof(fix), "%schmod 600",
		    fix[0] != '\0' ? ", then " : "");
	ok = fix[0] == '\0';
	line[0] = '\0';
	append(line, sizeof(line), "%s: mode %04o, owner %s", path,
	    (unsigned)(sb.st_mode & 07777), user_name(sb.st_uid, name));
	if (g != NULL)
		append(line, sizeof(line), ", group %s", group);
	if (!ok)
		append(line, sizeof(line), " (%s: %s)", why, fix);
	report(NULL, ok, line);
	return !ok;
}

/* report() with printf's format; 1 for a problem, else 0. */
static int
finding(int ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
finding(int ok, const char *fmt, ...)
{
	char	 line[CONF_PATH_MAX + 256];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	report(NULL, ok, line);
	return !ok;
}

/* Who besides the owner may use a file of mode m, for a finding. */
static const char *
others(mode_t m)
{
	if ((m & 070) != 0 && (m & 007) != 0)
		return "its group and others";
	return (m & 070) != 0 ? "its group" : "others";
}

/*
 * The database's files on disk: nobody else may write in its directory,
 * and the file and its sidecars have no group or other permissions and
 * belong to the directory's owner (the web server's user).  Returns the
 * problems found.
 */
static int
file_modes(const char *path)
{
	char		 dir[CONF_PATH_MAX], name[CONF_PATH_MAX + 8], *slash;
	struct stat	 sb;
	uid_t		 owner = 0, dir_owner = (uid_t)-1;
	size_t		 i;
	int		 problems = 0;

	snprintf(dir, sizeof(dir), "%s", path);
	if ((slash = strrchr(dir, '/')) == NULL)
		snprintf(dir, sizeof(dir), ".");
	else
		slash[slash == dir] = '\0';	/* "/auth.db": "/" */
	if (stat(dir, &sb) == -1)
		problems += finding(0, "%s: %s", dir, strerror(errno));
	else {
		dir_owner = sb.st_uid;
		problems += finding((sb.st_mode & 002) == 0 ||
		    (sb.st_mode & S_ISVTX), "%s: directory mode %04o%s", dir,
		    (unsigned)(sb.st_mode & 07777), (sb.st_mode & 002) == 0 ||
		    (sb.st_mode & S_ISVTX) ? "" : " (anybody may replace the "
		    "database: chmod o-w)");
	}
	for (i = 0; i <= sizeof(sidecars) / sizeof(sidecars[0]); i++) {
		snprintf(name, sizeof(name), "%s%s", path,
		    i == 0 ? "" : sidecars[i - 1]);
		if (stat(name, &sb) == -1) {
			if (errno != ENOENT)
				problems += finding(0, "%s: %s", name,
				    strerror(errno));
			continue;
		}
		if (i == 0) {
			owner = sb.st_uid;
			if (dir_owner != (uid_t)-1 && owner != dir_owner)
				problems += finding(0, "%s: owner uid %u, but "
				    "its directory's is %u (made by another "
				    "user than the web server's?)", name,
				    (unsigned)owner, (unsigned)dir_owner);
		}
		if ((sb.st_mode & 077) == 0)
			finding(1, "%s: mode %04o", name,
			    (unsigned)(sb.st_mode & 07777));
		else
			problems += finding(0, "%s: mode %04o (%s may read or "
			    "write it: chmod 600)", name,
			    (unsigned)(sb.st_mode & 07777), others(sb.st_mode));
		if (sb.st_uid != owner)
			problems += finding(0, "%s: owner uid %u, but the "
			    "database's is %u (the web server may not open it: "
			    "chown)", name, (unsigned)sb.st_uid,
			    (unsigned)owner);
	}
	return problems;
}

/* What check finds in the users, one at a time (audit_user). */
struct audit {
	struct db	*db;
	unsigned long	 iterations;	/* AUTH_PBKDF2_ITERATIONS */
	long		 costlier;	/* hashes costlier than that */
	unsigned long	 max;		/* the costliest */
	long		 over;		/* above PW_ITERATIONS_MAX */
	int		 problems;
};

/*
 * Another account that name's key (as register and login compute it)
 * finds: the two share one name, which a migration kept apart (the email
 * keys of migration 3).  Says so; 1 if it did, else 0.
 */
static int
shared(struct audit *a, const struct user *u, enum names_kind kind,
    const char *name)
{
	struct user	 other;
	char		*key, line[1024];
	int		 found = 0;

	if ((key = names_key(kind, name)) == NULL || *key == '\0') {
		if (key != NULL && kind == NAMES_USERNAME) {
			snprintf(line, sizeof(line), "user %lld: username %s is "
			    "only invisible characters: nobody can log in with "
			    "it", u->id, name);
			report(NULL, 0, line);
			found = 1;
		}
		free(key);
		return found;
	}
	if (db_user_by_key(a->db, kind == NAMES_EMAIL, key, &other) == 1 &&
	    other.id != u->id) {
		snprintf(line, sizeof(line), "user %lld (%s) has the %s of user "
		    "%lld (%s): login by it finds user %lld only; delete one "
		    "or give it another", u->id, name, kind == NAMES_EMAIL ?
		    "address" : "username", other.id, kind == NAMES_EMAIL ?
		    other.email : other.username, other.id);
		report(NULL, 0, line);
		found = 1;
	}
	db_user_free(&other);
	free(key);
	return found;
}

static int
audit_user(const struct user *u, void *arg)
{
	struct audit	*a = arg;
	unsigned long	 it = pw_iterations(u->password);

	if (it > PW_ITERATIONS_MAX)
		a->over++;
	else if (it > a->iterations) {
		a->costlier++;
		a->max = it > a->max ? it : a->max;
	}
	a->problems += shared(a, u, NAMES_USERNAME, u->username);
	a->problems += shared(a, u, NAMES_EMAIL, u->email);
	return 0;
}

/*
 * The users: hashes that cost more than configured (SPEC "POST login":
 * timing tells them apart until they log in) or more than anyone may, and
 * names that two accounts share.  Returns the problems found, or -1.
 */
static int
audit_users(struct ctl *c)
{
	struct audit	 a;
	struct db_stats	 st;
	char		 line[512];

	/* The users are read as this program stores them, or not at all. */
	if (db_stats(c->app.db, &st) == -1)
		return -1;
	if (st.schema != st.schema_latest) {
		report(NULL, 1, "users: checked once the schema is brought up");
		return 0;
	}
	memset(&a, 0, sizeof(a));
	a.db = c->app.db;
	a.iterations = c->app.cf.iterations;
	if (db_user_each(c->app.db, audit_user, &a) == -1)
		return -1;
	if (a.costlier > 0) {
		ctl_costlier(line, sizeof(line), a.costlier, a.max, a.iterations);
		report(NULL, 0, line);
		a.problems++;
	}
	if (a.over > 0) {
		snprintf(line, sizeof(line), "%ld user%s ha%s password hashes of "
		    "more than %lu iterations, which never verify: authctl user "
		    "passwd gives them a new one", a.over, a.over == 1 ? "" : "s",
		    a.over == 1 ? "s" : "ve", PW_ITERATIONS_MAX);
		report(NULL, 0, line);
		a.problems++;
	}
	if (a.problems == 0)
		report(NULL, 1, "users: hashes at or below the configured cost, "
		    "no name shared");
	return a.problems;
}

int
cmd_check(struct ctl *c)
{
	unsigned char	 key[CONF_SECRET_MAX];
	size_t		 len = sizeof(key);
	const char	*var = key_variable(&c->app.cf);
	char		 line[128];
	int		 problems, found;

	/* The settings passed app_init, or authctl would not be here. */
	report(NULL, 1, "settings (AUTH_*)");
	if ((problems = db_check(c->app.db, report, NULL)) == -1)
		return ctl_fail("the checks could not run (see above)");
	/* PostgreSQL keeps no file of ours: its server guards its own. */
	if (!db_is_pg(c->app.cf.db_path))
		problems += file_modes(c->app.cf.db_path);
	if ((found = audit_users(c)) == -1)
		return ctl_fail("the checks could not run (see above)");
	problems += found;
	if (var != NULL) {
		snprintf(line, sizeof(line), "signing key from %s: %zu bytes",
		    var, c->app.cf.secretlen);
		report(NULL, 1, line);
		problems += secret_file_mode(&c->app.cf);
	} else if ((found = db_secret_get(c->app.db, key, &len)) == -1) {
		report(NULL, 0, "signing key: cannot be read (see above)");
		problems++;
	} else if (found == 0)
		report(NULL, 1, "signing key: none yet (the first request "
		    "that needs one generates it)");
	else {
		snprintf(line, sizeof(line), "signing key in the database: "
		    "%zu bytes%s", len, len < CONF_SECRET_MIN ?
		    " (fewer than 32: rotate it)" : "");
		report(NULL, len >= CONF_SECRET_MIN, line);
		problems += len < CONF_SECRET_MIN;
	}
	crypto_cleanse(key, sizeof(key));
	if (problems > 0)
		return ctl_fail("%d problem%s", problems,
		    problems == 1 ? "" : "s");
	return CTL_OK;
}

/* What copy-to moved, by kind of row. */
struct copy {
	struct db	*to;
	long long	 n[DB_ROW_EVENT + 1];
	long long	 active;	/* active users */
	long long	 ids;		/* the largest id ever given */
	int		 previous;	/* a previous key in its grace */
	int		 failed;	/* a row did not go in */
};

static int
copy_row(const struct db_row *r, void *arg)
{
	struct copy	*cp = arg;

	/* Said here, not left to how the reader passes a stop along. */
	if (db_import(cp->to, r) == -1) {
		cp->failed = 1;
		return 1;
	}
	cp->n[r->kind]++;
	if (r->kind == DB_ROW_USER && r->user->is_active)
		cp->active++;
	else if (r->kind == DB_ROW_IDS)
		cp->ids = r->id;
	else if (r->kind == DB_ROW_SETTING &&
	    strcmp(r->name, "jwt_secret_previous") == 0)
		cp->previous = 1;
	return 0;
}

int
cmd_copy_to(struct ctl *c)
{
	struct copy	 cp;
	const char	*target = c->args[0], *table = NULL;
	char		 shown[CONF_PATH_MAX];
	int		 rc = CTL_FAILED, empty, failed;

	memset(&cp, 0, sizeof(cp));
	db_shown(target, shown, sizeof(shown));
	if (strcmp(target, c->app.cf.db_path) == 0)
		return ctl_fail("%s is AUTH_DB itself: name another database",
		    ctl_visible(shown));
	if (strlen(target) >= CONF_PATH_MAX)
		return ctl_fail("the target's name is too long");
	/* Its schema made (PostgreSQL) or the file created (SQLite). */
	if ((cp.to = db_open(target, DB_CREATE)) == NULL) {
		ctl_fail("cannot open the target %s", ctl_visible(shown));
		goto out;
	}
	/* One transaction: the target stays empty unless all of it went in. */
	if (db_begin(cp.to) == -1) {
		ctl_fail("the target failed (see above)");
		goto out;
	}
	if ((empty = db_empty(cp.to, &table)) != 1) {
		db_end(cp.to, 1);
		if (empty == -1)
			ctl_fail("the target failed (see above)");
		else
			ctl_fail("%s is not empty (its %s table has rows): "
			    "copy-to fills a database that holds none of ours, "
			    "so that no id, name or key is mixed with another "
			    "site's; nothing was copied", ctl_visible(shown),
			    table != NULL ? table : "?");
		goto out;
	}
	failed = db_export(c->app.db, copy_row, &cp) == -1 || cp.failed;
	if (db_end(cp.to, failed) == -1 || failed) {
		ctl_fail("the copy failed (see above); nothing was copied "
		    "into %s", ctl_visible(shown));
		goto out;
	}
	printf("copied into %s:\n", ctl_visible(shown));
	printf("users: %lld (%lld active)\n", cp.n[DB_ROW_USER], cp.active);
	printf("deleted ids (never given again): %lld\n",
	    cp.n[DB_ROW_DELETED]);
	printf("largest id ever given: %lld (register goes on after it)\n",
	    cp.ids);
	printf("settings (the signing key kept in the database%s): %lld\n",
	    cp.previous ? ", the previous one and its grace" : "",
	    cp.n[DB_ROW_SETTING]);
	printf("logged-out and spent tokens: %lld\n", cp.n[DB_ROW_TOKEN]);
	printf("clients known to accounts: %lld\n", cp.n[DB_ROW_KNOWN]);
	printf("events: %lld\n", cp.n[DB_ROW_EVENT]);
	printf("now point every host's AUTH_DB at it (the same "
	    "AUTH_JWT_SECRET too, if it is set)\n");
	rc = CTL_OK;
out:
	db_close(cp.to);
	return rc;
}
