/*
 * authctl secret ..., purge, stats and check: the signing key and the
 * database as a whole.
 */
#include <sys/stat.h>

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
	char		 t[32];
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
	if (crypto_random(key, AUTH_KEY_BYTES) == -1) {
		crypto_cleanse(key, sizeof(key));
		return ctl_fail("no random bytes (see above)");
	}
	rc = db_secret_rotate(c->app.db, key, AUTH_KEY_BYTES,
	    c->grace > 0 ? now + c->grace : 0);
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
	char		 t[32];
	int		 found;

	if (var != NULL && strcmp(var, "AUTH_JWT_SECRET") == 0)
		printf("environment (AUTH_JWT_SECRET), %zu bytes\n",
		    c->app.cf.secretlen);
	else if (var != NULL)
		printf("file %s (AUTH_JWT_SECRET_FILE), %zu bytes\n",
		    getenv("AUTH_JWT_SECRET_FILE"), c->app.cf.secretlen);
	if (var != NULL)
		return CTL_OK;	/* no database needed */
	if (ctl_open(c, DB_INSPECT, 0) != CTL_OK)
		return CTL_FAILED;
	found = db_secret_get(c->app.db, key, &len);
	if (found == 1)
		printf("database %s, %zu bytes\n", c->app.cf.db_path, len);
	else if (found == 0)
		printf("database %s: none yet (the first request that needs "
		    "one generates it)\n", c->app.cf.db_path);
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
	long long	 attempts;
	int		 previous;

	if (db_purge(c->app.db, time(NULL), &attempts, &previous) == -1)
		return ctl_fail("purge failed (see above)");
	printf("attempt-counter rows deleted: %lld\n", attempts);
	if (previous)
		printf("previous signing key deleted (its grace is over)\n");
	return CTL_OK;
}

int
cmd_stats(struct ctl *c)
{
	struct db_stats	 st;
	cJSON		*o;

	if (db_stats(c->app.db, &st) == -1)
		return ctl_fail("stats failed (see above)");
	if (!c->json) {
		printf("users: %lld\nactive_users: %lld\n"
		    "attempt_rows: %lld\ndb_bytes: %lld\nwal_bytes: %lld\n"
		    "schema_version: %d\n", st.users, st.active_users,
		    st.attempts, st.db_bytes, st.wal_bytes, st.schema);
		return CTL_OK;
	}
	if ((o = cJSON_CreateObject()) == NULL ||
	    cJSON_AddNumberToObject(o, "users", (double)st.users) == NULL ||
	    cJSON_AddNumberToObject(o, "active_users",
	    (double)st.active_users) == NULL ||
	    cJSON_AddNumberToObject(o, "attempt_rows",
	    (double)st.attempts) == NULL ||
	    cJSON_AddNumberToObject(o, "db_bytes", (double)st.db_bytes) == NULL ||
	    cJSON_AddNumberToObject(o, "wal_bytes",
	    (double)st.wal_bytes) == NULL ||
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
	printf("%s %s\n", ok ? "ok     " : "PROBLEM", what);
}

/* AUTH_JWT_SECRET_FILE, when set, is for its owner's eyes only. */
static int
secret_file_mode(void)
{
	const char	*path = getenv("AUTH_JWT_SECRET_FILE");
	struct stat	 sb;
	char		 line[CONF_PATH_MAX + 96];
	int		 ok;

	if (path == NULL || stat(path, &sb) == -1)
		return 0;	/* AUTH_JWT_SECRET, or conf_load said it */
	ok = (sb.st_mode & 077) == 0;
	snprintf(line, sizeof(line), "%s: mode %04o%s", path,
	    (unsigned)(sb.st_mode & 07777), ok ? "" :
	    " (others may read the signing key: chmod 600)");
	report(NULL, ok, line);
	return !ok;
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
	if (var != NULL) {
		snprintf(line, sizeof(line), "signing key from %s: %zu bytes",
		    var, c->app.cf.secretlen);
		report(NULL, 1, line);
		problems += secret_file_mode();
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
