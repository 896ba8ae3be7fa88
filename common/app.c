/*
 * The application's state: settings and the database handle.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "crypto.h"
#include "db.h"

void
app_init(struct app *app)
{
	app->db = NULL;
	app->keep = 0;
	app->params = NULL;
	app->paramslen = 0;
	app->params_ok = 1;	/* none: the environment's settings */
	app->conf_ok = conf_load(&app->cf) == 0;
}

/* Forget the copy of the last request's settings (it may hold a secret). */
static void
params_free(struct app *app)
{
	if (app->params != NULL)
		crypto_cleanse(app->params, app->paramslen);
	free(app->params);
	app->params = NULL;
	app->paramslen = 0;
}

void
app_free(struct app *app)
{
	app_db_reset(app);
	conf_free(&app->cf);
	params_free(app);
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

/* Whether params' settings are the last request's, in the same order. */
static int
same_params(const struct app *app, char **params)
{
	size_t	 off = 0, n;

	if (!app->params_ok)
		return 0;
	for (; *params != NULL; params++) {
		if (!conf_is_setting(*params))
			continue;
		n = strlen(*params) + 1;
		if (n > app->paramslen - off ||
		    memcmp(app->params + off, *params, n) != 0)
			return 0;
		off += n;
	}
	return off == app->paramslen;
}

void
app_params(struct app *app, char **params)
{
	char	**p;
	size_t	 n = 0, len;

	if (same_params(app, params))
		return;
	params_free(app);
	app_db_reset(app);
	conf_free(&app->cf);
	app->conf_ok = 0;
	app->params_ok = 0;
	for (p = params; *p != NULL; p++)
		if (conf_is_setting(*p))
			n += strlen(*p) + 1;
	if (n > 0 && (app->params = malloc(n)) == NULL) {
		fprintf(stderr, "conf: out of memory\n");
		return;		/* 500, and the next request tries again */
	}
	for (p = params; *p != NULL; p++)
		if (conf_is_setting(*p)) {
			len = strlen(*p) + 1;
			memcpy(app->params + app->paramslen, *p, len);
			app->paramslen += len;
		}
	app->params_ok = 1;
	/* A bad setting is logged here, once: 500s until the server's change. */
	app->conf_ok = conf_load_params(&app->cf, params) == 0;
}
