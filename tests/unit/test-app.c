/*
 * app.c: a FastCGI request's AUTH_* parameters over the process's
 * environment (app_params): they win, the first of a name counts, the
 * settings are read again and the database reopened only when they
 * change, a bad one is a failed load until the server changes it, and the
 * environment itself is never touched.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app.h"
#include "unit.h"

int
main(void)
{
	struct app	 app;
	struct db	*db;
	char		 dir[] = "/tmp/corners-auth-test-app.XXXXXX", path[64];
	char		*none[] = { "REQUEST_METHOD=POST", NULL };
	char		*two[] = { "REQUEST_METHOD=POST", "AUTH_RATE_LOGIN=2",
			    "HTTP_HOST=x", NULL };
	char		*dup[] = { "AUTH_RATE_LOGIN=3", "AUTH_RATE_LOGIN=4", NULL };
	char		*type[] = { "AUTH_TYPE=Basic", NULL };
	char		*typo[] = { "AUTH_RATE_LOGN=1", NULL };
	char		*both[] = { "AUTH_JWT_SECRET_FILE=/nonexistent", NULL };
	char		*other[] = { "AUTH_DB=/nonexistent/other.db",
			    "AUTH_RATE_LOGIN=2", NULL };

	if (mkdtemp(dir) == NULL)
		return 2;
	snprintf(path, sizeof(path), "%s/auth.db", dir);
	setenv("AUTH_DB", path, 1);
	setenv("AUTH_RATE_LOGIN", "100", 1);
	setenv("AUTH_ACCESS_TTL", "77", 1);
	unsetenv("AUTH_JWT_SECRET");
	unsetenv("AUTH_JWT_SECRET_FILE");
	app_init(&app);
	ASSERT(app.conf_ok && app.cf.rate_max[RATE_LOGIN] == 100);

	/* No AUTH_* parameter: the environment's, the database kept. */
	ASSERT((db = app_db(&app)) != NULL);
	app_params(&app, none);
	ASSERT(app.conf_ok && app.db == db);

	/* One: it wins; the others are the environment's; reopened. */
	app_params(&app, two);
	ASSERT(app.conf_ok && app.cf.rate_max[RATE_LOGIN] == 2);
	ASSERT(app.cf.access_ttl == 77 && app.db == NULL);
	ASSERT(strcmp(getenv("AUTH_RATE_LOGIN"), "100") == 0);
	ASSERT((db = app_db(&app)) != NULL);
	app_params(&app, two);		/* the same again: nothing read */
	ASSERT(app.db == db && app.cf.rate_max[RATE_LOGIN] == 2);

	/* Another database: the handle on the old one is closed. */
	app_params(&app, other);
	ASSERT(app.conf_ok && app.db == NULL &&
	    strcmp(app.cf.db_path, "/nonexistent/other.db") == 0);

	/* Gone: the environment's again. */
	app_params(&app, none);
	ASSERT(app.conf_ok && app.cf.rate_max[RATE_LOGIN] == 100);

	/* The first of a name counts, as getenv's in a CGI environment. */
	app_params(&app, dup);
	ASSERT(app.conf_ok && app.cf.rate_max[RATE_LOGIN] == 3);

	/* AUTH_TYPE is the server's, not a setting. */
	app_params(&app, type);
	ASSERT(app.conf_ok && app.cf.rate_max[RATE_LOGIN] == 100);

	/* A misspelt name fails, and stays failed until it changes. */
	app_params(&app, typo);
	ASSERT(!app.conf_ok);
	app_params(&app, typo);
	ASSERT(!app.conf_ok);
	app_params(&app, none);
	ASSERT(app.conf_ok);

	/* A parameter cannot unset the environment's: both keys set. */
	setenv("AUTH_JWT_SECRET", "0123456789abcdef0123456789abcdef", 1);
	app_params(&app, both);
	ASSERT(!app.conf_ok);
	unsetenv("AUTH_JWT_SECRET");

	app_free(&app);
	/* The database app_db made, and SQLite's files beside it. */
	unlink(path);
	snprintf(path, sizeof(path), "%s/auth.db-wal", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/auth.db-shm", dir);
	unlink(path);
	ASSERT(rmdir(dir) == 0);
	return unit_done("test-app");
}
