/*
 * The application's state: settings and the database handle.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "db.h"

extern char	**environ;

/* The settings' variables, not the server's AUTH_TYPE (RFC 3875 4.1.1). */
static int
is_setting(const char *e)
{
	return strncmp(e, "AUTH_", 5) == 0 && strncmp(e, "AUTH_TYPE=", 10) != 0;
}

/*
 * The AUTH_* parameters a web server may send hold at most every setting
 * at its longest (a secret, paths); more is a broken configuration.
 */
#define PARAMS_MAX	65536

void
app_init(struct app *app)
{
	app->db = NULL;
	app->keep = 0;
	app->params = NULL;
	app->paramslen = 0;
	app->params_ok = 1;	/* none: the environment's */
	app->base = NULL;
	app->conf_ok = conf_load(&app->cf) == 0;
}

void
app_free(struct app *app)
{
	char	**b;

	app_db_reset(app);
	conf_free(&app->cf);
	if (app->params != NULL)
		explicit_bzero(app->params, app->paramslen);
	free(app->params);
	for (b = app->base; b != NULL && *b != NULL; b++)
		free(*b);
	free(app->base);
}

struct db *
app_db(struct app *app)
{
	if (app->db == NULL &&
	    (app->db = db_open(app->cf.db_path, DB_SERVE)) != NULL &&
	    app->keep)
		db_keep(app->db);
	return app->db;
}

void
app_db_reset(struct app *app)
{
	db_close(app->db);
	app->db = NULL;
}

/* Whether params' settings are those of the last request, in order. */
static int
same_params(const struct app *app, char **params)
{
	size_t	 off = 0, n;

	if (!app->params_ok)
		return 0;
	for (; *params != NULL; params++) {
		if (!is_setting(*params))
			continue;
		n = strlen(*params) + 1;
		if (n > app->paramslen - off ||
		    memcmp(app->params + off, *params, n) != 0)
			return 0;
		off += n;
	}
	return off == app->paramslen;
}

/* A copy of the AUTH_* part of the environment, once; -1 if out of memory. */
static int
save_base(struct app *app)
{
	size_t	 n = 0, i = 0;
	char	**e, **base;

	if (app->base != NULL)
		return 0;
	for (e = environ; e != NULL && *e != NULL; e++)
		n += is_setting(*e);
	if ((base = calloc(n + 1, sizeof(*base))) == NULL)
		return -1;
	for (e = environ; e != NULL && *e != NULL && i < n; e++)
		if (is_setting(*e) && (base[i++] = strdup(*e)) == NULL) {
			while (i-- > 0)
				free(base[i]);
			free(base);
			return -1;
		}
	app->base = base;
	return 0;
}

/* The value of "NAME=value" e ("" without '='). */
static const char *
value_of(const char *e)
{
	const char	*eq = strchr(e, '=');

	return eq != NULL ? eq + 1 : "";
}

/* Set (value != NULL) or unset the variable named by "NAME=..." e. */
static int
set_var(const char *e, const char *value)
{
	char	*name;
	int	 rc;

	if ((name = strndup(e, strcspn(e, "="))) == NULL)
		return -1;
	rc = value != NULL ? setenv(name, value, 1) : unsetenv(name);
	free(name);
	return rc;
}

/*
 * The environment conf_load reads: the process's own AUTH_* variables,
 * then the parameters' over them (a CGI program's environment is what its
 * server passes; a FastCGI process's start-up environment is what
 * systemd's EnvironmentFile or spawn-fcgi gave).  -1 on failure.
 */
static int
apply(struct app *app)
{
	char	**e;
	size_t	 off;

	/* Every AUTH_* variable out, one at a time (unsetenv moves them). */
	for (;;) {
		for (e = environ; e != NULL && *e != NULL; e++)
			if (is_setting(*e))
				break;
		if (e == NULL || *e == NULL)
			break;
		if (set_var(*e, NULL) == -1)
			return -1;
	}
	for (e = app->base; *e != NULL; e++)
		if (set_var(*e, value_of(*e)) == -1)
			return -1;
	for (off = 0; off < app->paramslen; off += strlen(app->params + off) + 1)
		if (set_var(app->params + off, value_of(app->params + off)) == -1)
			return -1;
	return 0;
}

void
app_params(struct app *app, char **params)
{
	char	**p;
	size_t	 n = 0, off = 0;

	if (same_params(app, params))
		return;
	for (p = params; *p != NULL; p++)
		if (is_setting(*p))
			n += strlen(*p) + 1;
	if (app->params != NULL)
		explicit_bzero(app->params, app->paramslen);
	free(app->params);
	app->params = NULL;
	app->paramslen = 0;
	app_db_reset(app);
	conf_free(&app->cf);
	app->conf_ok = 0;
	app->params_ok = 0;	/* until they are in effect: 500s till then */
	if (n > PARAMS_MAX) {
		fprintf(stderr, "conf: the server's AUTH_* parameters hold %zu "
		    "bytes, more than %d\n", n, PARAMS_MAX);
		return;
	}
	if (n > 0 && (app->params = malloc(n)) == NULL) {
		fprintf(stderr, "conf: out of memory\n");
		return;
	}
	for (p = params; *p != NULL; p++)
		if (is_setting(*p)) {
			memcpy(app->params + off, *p, strlen(*p) + 1);
			off += strlen(*p) + 1;
		}
	app->paramslen = n;
	if (save_base(app) == -1 || apply(app) == -1) {
		fprintf(stderr, "conf: the server's AUTH_* parameters: %s\n",
		    "cannot be set in the environment");
		return;
	}
	/* A bad value answers 500, logged once, until the server's change. */
	app->conf_ok = conf_load(&app->cf) == 0;
	app->params_ok = 1;
}
