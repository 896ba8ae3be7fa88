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

/* How a handler takes the request body. */
enum body {
	BODY_NONE,	/* none is read (GET) */
	BODY_FIRST,	/* read and parsed before the handler runs */
	BODY_LATER	/* the handler reads it (cgi_read_json) after its own
			   first checks: the bearer token's 401 comes first */
};

/*
 * One method at one PATH_INFO of an endpoint.  run is its logic (auth.h):
 * it returns the status and sets *out to the body to send (NULL: the
 * status's fixed message).
 */
struct handler {
	const char	*path;		/* PATH_INFO: "" or "/email" */
	const char	*method;	/* "GET" also answers HEAD, bodiless */
	enum body	 body;
	int		(*run)(struct req *rq, struct app *app, const cJSON *in,
			    cJSON **out);
};

/* An executable's handlers, by path and method. */
struct endpoint {
	const struct handler	*handlers;
	size_t			 n;
};

/*
 * Answer one request read from io: 404 for a PATH_INFO no handler serves,
 * 405 (with Allow) for a method none serves there, else the handler's.
 */
void	serve_request(struct app *app, const struct endpoint *ep,
	    const struct cgi_io *io);

/* An endpoint's main: CGI or FastCGI, whichever started us.  Returns 0. */
int	serve(const struct endpoint *ep);

#endif
