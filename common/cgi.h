/*
 * The CGI boundary: the request read once from the environment and standard
 * input (method, capped body, client address headers, bearer token), and
 * the one writer of the response (Status, headers, JSON body).
 */
#ifndef CGI_H
#define CGI_H

#include <sys/types.h>

#include <stddef.h>

#include <cJSON.h>

#define CGI_BODY_MAX	(64 * 1024)	/* SPEC: a larger body is a 413 */

/*
 * Where a request comes from and its answer goes: plain CGI (the
 * environment, descriptor 0, stdout), a FastCGI connection, or a test's
 * memory.  read returns the count read, 0 at the end, -1 on error.
 */
struct cgi_io {
	const char	*(*param)(void *ctx, const char *name);
	ssize_t		 (*read)(void *ctx, char *buf, size_t len);
	void		 (*write)(void *ctx, const char *buf, size_t len);
	void		*ctx;
};

/* Plain CGI (RFC 3875). */
extern const struct cgi_io cgi_stdio;

#define CGI_ALLOW_MAX	64	/* room for an Allow header's methods */

struct req {
	const struct cgi_io *io;
	const char	*method;	/* REQUEST_METHOD, "" if unset */
	const char	*path;		/* PATH_INFO, "" if unset */
	char		 allow[CGI_ALLOW_MAX];	/* the methods served here */
	cJSON		*in;		/* the parsed body (NULL: none, or
					   empty), owned */
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
 * Start a request from io: read its CGI variables into rq (rq->allow is
 * left empty, for the request loop to fill with the methods it serves).
 */
void	cgi_begin(struct req *rq, const struct cgi_io *io);

/*
 * Read the body (SPEC "Reading the request body" 1, 2 and 7) and parse it
 * into rq->in (NULL for an empty body, to be reported as a missing
 * payload).  Returns 200, 413 when it is over CGI_BODY_MAX, or 400 when it
 * is short of CONTENT_LENGTH, not UTF-8 or not JSON.  cgi_end frees it.
 */
int	cgi_read_json(struct req *rq);

/*
 * A new {"message": msg, "details": null} (an error's body), or for
 * cgi_note {"message": msg} (a success's: "Logged out."); NULL without
 * memory.
 */
cJSON	*cgi_message(const char *msg);
cJSON	*cgi_note(const char *msg);

/*
 * Set *out to {"message": msg, "details": null} and return status (a 400,
 * 401 or 403 with its SPEC message), or 500 without memory.
 */
int	cgi_error(int status, const char *msg, cJSON **out);

/*
 * Write the whole response once: Status, the headers SPEC "Every response"
 * lists for this status, and body.  A NULL body gets the fixed message of
 * the status (400, 401, 404, 405, 413, 500, 503).
 */
void	cgi_reply(const struct req *rq, int status, const cJSON *body);

/*
 * Free what cgi_begin and cgi_read_json acquired, the body they read and
 * its parse, wiping both: they hold passwords.
 */
void	cgi_end(struct req *rq);

#endif
