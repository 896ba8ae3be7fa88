/*
 * One process serving one endpoint: a single request when a web server
 * runs it as a CGI program, or request after request when a FastCGI server
 * started it.  What lasts from one request to the next (the settings, the
 * open database) is in struct app, and nothing else.
 */
#ifndef SERVE_H
#define SERVE_H

#include <cJSON.h>

#include "cgi.h"
#include "conf.h"

struct db;

struct app {
	struct conf	 cf;
	int		 conf_ok;	/* conf_load succeeded */
	struct db	*db;		/* opened by app_db on first use */
};

struct endpoint {
	const char	*allow;		/* "POST", or "GET, HEAD" */
	int		 reads_body;	/* a JSON body is read and parsed */
	/* The endpoint's logic: a status, and *out the body (NULL: fixed). */
	int		(*run)(struct req *rq, struct app *app, const cJSON *in,
			    cJSON **out);
};

/* The database, opened on first use; NULL (logged) means a 503. */
struct db *app_db(struct app *app);

/* Load the settings into a new app (conf_ok says whether they were good). */
void	app_init(struct app *app);
void	app_free(struct app *app);

/* Answer one request read from io. */
void	serve_request(struct app *app, const struct endpoint *ep,
	    const struct cgi_io *io);

/* An endpoint's main: CGI or FastCGI, whichever started us.  Returns 0. */
int	serve(const struct endpoint *ep);

#endif
