/*
 * The application's state that lasts from one request to the next: the
 * settings, read once (again when a FastCGI server's AUTH_* parameters
 * change), and the database, opened on first use.  A CGI
 * process holds it for one request, a FastCGI process for many, authctl
 * for one command.
 */
#ifndef APP_H
#define APP_H

#include "conf.h"

struct db;

struct app {
	struct conf	 cf;
	int		 conf_ok;	/* conf_load succeeded */
	struct db	*db;		/* opened by app_db on first use */
	int		 keep;		/* serves many requests: db_keep */
	char		*params;	/* app_params: the last request's AUTH_*
					   parameters, each NUL-ended */
	size_t		 paramslen;
	int		 params_ok;	/* the settings are those of params */
};

/* Load the settings into a new app (conf_ok says whether they were good). */
void	app_init(struct app *app);

/* Close the database and wipe the settings' secret. */
void	app_free(struct app *app);

/* The database, opened on first use; NULL (logged) means a 503. */
struct db *app_db(struct app *app);

/* Close the database after a storage failure: the next use reopens it. */
void	app_db_reset(struct app *app);

/*
 * A FastCGI request's parameters (NULL-ended "NAME=value" strings): if
 * their AUTH_* settings differ from the last request's, the settings are
 * read again, those parameters before the process's environment
 * (conf_load_params), and the database is reopened.
 */
void	app_params(struct app *app, char **params);

#endif
