/*
 * One process serving one endpoint: a single request when a web server
 * runs it as a CGI program, or request after request when a FastCGI server
 * started it.  What lasts from one request to the next (the settings, the
 * open database) is in struct app (app.h), and nothing else.
 */
#ifndef SERVE_H
#define SERVE_H

#include <cJSON.h>

#include "app.h"
#include "cgi.h"

struct endpoint {
	const char	*allow;		/* "POST", or "GET, HEAD" */
	int		 reads_body;	/* a JSON body is read and parsed */
	/* The endpoint's logic: a status, and *out the body (NULL: fixed). */
	int		(*run)(struct req *rq, struct app *app, const cJSON *in,
			    cJSON **out);
};

/* Answer one request read from io. */
void	serve_request(struct app *app, const struct endpoint *ep,
	    const struct cgi_io *io);

/* An endpoint's main: CGI or FastCGI, whichever started us.  Returns 0. */
int	serve(const struct endpoint *ep);

#endif
