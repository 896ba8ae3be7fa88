/*
 * The CGI boundary: the request read once from the environment and standard
 * input (method, capped body, client address headers, bearer token), and
 * the one writer of the response (Status, headers, JSON body).
 */
#ifndef CGI_H
#define CGI_H

#include <stddef.h>

#include <cJSON.h>

#define CGI_BODY_MAX	(64 * 1024)	/* SPEC: a larger body is a 413 */

struct req {
	const char	*method;	/* REQUEST_METHOD, "" if unset */
	const char	*allow;		/* the methods this endpoint serves */
	const char	*remote_addr;	/* REMOTE_ADDR, NULL if unset */
	const char	*forwarded_for;	/* HTTP_X_FORWARDED_FOR or NULL */
	const char	*authorization;	/* HTTP_AUTHORIZATION or NULL */
	char		*body;		/* NUL-terminated, owned */
	size_t		 bodylen;
	size_t		 unread;	/* body bytes promised and not read */
	int		 is_bearer;	/* 401s carry WWW-Authenticate */
	int		 token_sent;	/* ... with error="invalid_token" */
	long long	 retry_after;	/* seconds, for a 429 */
};

/*
 * Start a request: make sure descriptors 0-2 are open, and read the CGI
 * environment into rq.  allow is the endpoint's method list ("POST", or
 * "GET, HEAD"); the first one named is the method it serves.
 */
void	cgi_begin(struct req *rq, const char *allow);

/* 200 if the request method is one the endpoint serves, else 405. */
int	cgi_check_method(const struct req *rq);

/*
 * Read the body (SPEC "Reading the request body" 1, 2 and 7) and parse it.
 * Returns 200 with *in set (NULL for an empty body, to be reported as a
 * missing payload), 413 when it is over CGI_BODY_MAX, or 400 when it is
 * short of CONTENT_LENGTH, not UTF-8 or not JSON.  The caller frees *in.
 */
int	cgi_read_json(struct req *rq, cJSON **in);

/* A new {"message": msg, "details": null}, or NULL without memory. */
cJSON	*cgi_message(const char *msg);

/*
 * Write the whole response once: Status, the headers SPEC "Every response"
 * lists for this status, and body.  A NULL body gets the fixed message of
 * the status (400, 401, 405, 413, 500, 503).
 */
void	cgi_reply(const struct req *rq, int status, const cJSON *body);

/*
 * Free what cgi_begin and cgi_read_json acquired, the body they read and
 * the parsed in (may be NULL), wiping both: they hold passwords.
 */
void	cgi_end(struct req *rq, cJSON *in);

#endif
