/*
 * The application's state: settings and the database handle.
 */
#include <stddef.h>

#include "app.h"
#include "db.h"

void
app_init(struct app *app)
{
	app->db = NULL;
	app->keep = 0;
	app->conf_ok = conf_load(&app->cf) == 0;
}

void
app_free(struct app *app)
{
	app_db_reset(app);
	conf_free(&app->cf);
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
