/*
 * CGI request in, response out (RFC 3875), with the body rules of SPEC
 * "Reading the request body" and the headers of "Every response".
 */
#define _GNU_SOURCE	/* strcasestr */

#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <cJSON.h>

#include "cgi.h"
#include "crypto.h"
#include "json.h"
#include "num.h"
#include "text.h"

/*
 * Apache's mod_cgid writes the whole request body to the program before it
 * reads the answer, and drops the connection when the program has already
 * exited; so a body left unread by an early answer (405, 413) is read and
 * discarded after the answer is written, if it is no larger than this.  A
 * larger one is not waited for (the client may be holding it back until
 * it sees the answer).
 */
#define DRAIN_MAX	(1024 * 1024)

/*
 * CONTENT_LENGTH as digits only; -1 when it is anything else, LLONG_MAX
 * when it is beyond anything we would read or drain.
 */
static long long
content_length(const char *s)
{
	unsigned long long n;

	if (s == NULL || *s == '\0')
		return 0;
	switch (num_parse(s, strlen(s), DRAIN_MAX, &n)) {
	case NUM_OK:
		return (long long)n;
	case NUM_BIG:
		return LLONG_MAX;
	default:
		return -1;
	}
}

/*
 * The body's length as the server says it: CONTENT_LENGTH (RFC 3875), or,
 * where that is unset, HTTP_CONTENT_LENGTH, the client's own header, which
 * busybox httpd passes instead for every method but POST while it still
 * hands the body on (PUT me/password, PATCH me/email, DELETE me).  NULL:
 * neither.
 */
static const char *
length_param(const struct cgi_io *io)
{
	const char	*cl = io->param(io->ctx, "CONTENT_LENGTH");

	if (cl == NULL || *cl == '\0')
		cl = io->param(io->ctx, "HTTP_CONTENT_LENGTH");
	return cl;
}

/*
 * RFC 3875: no CONTENT_LENGTH means no body, except that a server passing
 * a chunked body through (Apache) leaves it unset and closes our input at
 * the body's end.
 */
static int
is_chunked(const struct req *rq)
{
	const char	*cl = length_param(rq->io);
	const char	*te = rq->io->param(rq->io->ctx, "HTTP_TRANSFER_ENCODING");

	return (cl == NULL || *cl == '\0') && te != NULL &&
	    strcasestr(te, "chunked") != NULL;
}

static const char *
stdio_param(void *ctx, const char *name)
{
	(void)ctx;
	return getenv(name);
}

static ssize_t
stdio_read(void *ctx, char *buf, size_t len)
{
	ssize_t	 n;

	(void)ctx;
	while ((n = read(STDIN_FILENO, buf, len)) < 0 && errno == EINTR)
		continue;
	return n;
}

/* Unbuffered: the answer is out before cgi_end drains the body. */
static void
stdio_write(void *ctx, const char *buf, size_t len)
{
	ssize_t	 n;

	(void)ctx;
	while (len > 0) {
		n = write(STDOUT_FILENO, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;	/* the client is gone; nothing to tell */
		buf += n;
		len -= (size_t)n;
	}
}

const struct cgi_io cgi_stdio = { stdio_param, stdio_read, stdio_write, NULL };

void
cgi_begin(struct req *rq, const struct cgi_io *io)
{
	long long	 cl;

	memset(rq, 0, sizeof(*rq));
	rq->io = io;
	rq->method = io->param(io->ctx, "REQUEST_METHOD");
	if (rq->method == NULL)
		rq->method = "";
	rq->path = io->param(io->ctx, "PATH_INFO");
	if (rq->path == NULL)
		rq->path = "";
	rq->remote_addr = io->param(io->ctx, "REMOTE_ADDR");
	rq->forwarded_for = io->param(io->ctx, "HTTP_X_FORWARDED_FOR");
	rq->authorization = io->param(io->ctx, "HTTP_AUTHORIZATION");
	cl = content_length(length_param(io));
	rq->unread = cl > 0 ? (size_t)cl : 0;
	if (is_chunked(rq))
		rq->unread = DRAIN_MAX;	/* unknown: up to end of file */
}

/*
 * Read up to want bytes (or to end of file) into buf.  Returns the count
 * read, or -1 on a read error.
 */
static ssize_t
read_full(const struct req *rq, char *buf, size_t want)
{
	size_t	 got = 0;
	ssize_t	 n;

	while (got < want) {
		n = rq->io->read(rq->io->ctx, buf + got, want - got);
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

int
cgi_read_json(struct req *rq)
{
	const char	*cl = length_param(rq->io);
	const char	*end = NULL;
	char		*text;
	long long	 want;
	ssize_t		 got;
	size_t		 len;

	rq->in = NULL;
	want = content_length(cl);
	if (want < 0)
		return 400;	/* a lying CONTENT_LENGTH is a bad request */
	/* Chunked: read to end of file, one byte past the cap to see it. */
	if (is_chunked(rq))
		want = CGI_BODY_MAX + 1;
	else if (want > CGI_BODY_MAX)
		return 413;	/* refused before reading any of it */
	if ((rq->body = malloc((size_t)want + 1)) == NULL) {
		fprintf(stderr, "cgi_read_json: malloc: %s\n", strerror(errno));
		return 500;
	}
	if ((got = read_full(rq, rq->body, (size_t)want)) < 0) {
		fprintf(stderr, "cgi_read_json: read: %s\n", strerror(errno));
		return 400;
	}
	rq->unread = rq->unread > (size_t)got ? rq->unread - (size_t)got : 0;
	if (got > CGI_BODY_MAX)
		return 413;
	if (cl != NULL && *cl != '\0' && got < want)
		return 400;	/* the body ended before CONTENT_LENGTH */
	rq->body[got] = '\0';
	rq->bodylen = (size_t)got;
	text = rq->body;
	len = rq->bodylen;
	if (len == 0)
		return 200;	/* empty: SPEC 3, one "missing" error */
	/*
	 * Raw NULs first: cJSON would stop at one and accept the prefix.
	 * (cJSON skips one UTF-8 byte order mark, as Python's json does.)
	 */
	if (memchr(text, '\0', len) != NULL || text_length(text, len) < 0 ||
	    json_check(text, len) == -1)
		return 400;
	rq->in = cJSON_ParseWithLengthOpts(text, len + 1, &end, 1);
	if (rq->in == NULL)
		return 400;
	return 200;
}

cJSON *
cgi_message(const char *msg)
{
	cJSON	*o;

	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	if (cJSON_AddStringToObject(o, "message", msg) == NULL ||
	    cJSON_AddNullToObject(o, "details") == NULL) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

cJSON *
cgi_note(const char *msg)
{
	cJSON	*o;

	if ((o = cJSON_CreateObject()) != NULL &&
	    cJSON_AddStringToObject(o, "message", msg) == NULL) {
		cJSON_Delete(o);
		o = NULL;
	}
	if (o == NULL)
		fprintf(stderr, "cgi_note: out of memory\n");
	return o;
}

int
cgi_error(int status, const char *msg, cJSON **out)
{
	if ((*out = cgi_message(msg)) == NULL) {
		fprintf(stderr, "cgi_error: out of memory\n");
		return 500;
	}
	return status;
}

static const struct status {
	int		 code;
	const char	*reason;
	const char	*message;	/* for a reply without a body */
} statuses[] = {
	{ 200, "OK", NULL },
	{ 201, "Created", NULL },
	{ 400, "Bad Request", "Cannot parse request body" },
	{ 401, "Unauthorized", "Unauthorized" },
	{ 403, "Forbidden", NULL },
	{ 404, "Not Found", "Not found." },
	{ 405, "Method Not Allowed", "Method not allowed." },
	{ 413, "Content Too Large", "Request body too large." },
	{ 422, "Unprocessable Content", NULL },
	{ 429, "Too Many Requests", NULL },
	{ 500, "Internal Server Error", "Internal server error." },
	{ 503, "Service Unavailable", "Service temporarily unavailable." },
};

static const struct status *
find_status(int code)
{
	size_t	 i;

	for (i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
		if (statuses[i].code == code)
			return &statuses[i];
	return NULL;
}

/* Headers and body in one write, so the answer leaves in one piece. */
static void
write_response(const struct req *rq, const char *head, size_t headlen,
    const char *body)
{
	size_t	 bodylen = strlen(body);
	char	*all;

	if ((all = malloc(headlen + bodylen)) == NULL) {
		rq->io->write(rq->io->ctx, head, headlen);
		rq->io->write(rq->io->ctx, body, bodylen);
		return;
	}
	memcpy(all, head, headlen);
	memcpy(all + headlen, body, bodylen);
	rq->io->write(rq->io->ctx, all, headlen + bodylen);
	free(all);
}

void
cgi_reply(const struct req *rq, int status, const cJSON *body)
{
	const struct status *st;
	cJSON		*fixed = NULL;
	char		*text = NULL;
	char		 head[512], extra[160];
	int		 n;

	st = find_status(status);
	if (st == NULL || (body == NULL && st->message == NULL)) {
		fprintf(stderr, "cgi_reply: no body for status %d\n", status);
		st = find_status(status = 500);
		body = NULL;
	}
	if (body == NULL)
		body = fixed = cgi_message(st->message);
	if (body != NULL)
		text = cJSON_PrintUnformatted(body);
	if (text == NULL)	/* out of memory: the one body we can still send */
		st = find_status(status = 500);

	/* The headers that only some statuses carry (SPEC "Every response"). */
	if (status == 405)
		n = snprintf(extra, sizeof(extra), "Allow: %s\r\n", rq->allow);
	else if (status == 401 && rq->is_bearer)
		n = snprintf(extra, sizeof(extra), "WWW-Authenticate: Bearer%s\r\n",
		    rq->token_sent ? " error=\"invalid_token\"" : "");
	else if (status == 429)
		n = snprintf(extra, sizeof(extra), "Retry-After: %lld\r\n",
		    rq->retry_after);
	else if (status == 503)
		n = snprintf(extra, sizeof(extra), "Retry-After: 1\r\n");
	else
		n = snprintf(extra, sizeof(extra), "%s", "");
	if (n < 0 || (size_t)n >= sizeof(extra))
		extra[0] = '\0';

	/* busybox httpd needs Status first; every server takes CRLF. */
	n = snprintf(head, sizeof(head),
	    "Status: %d %s\r\n"
	    "Content-Type: application/json\r\n"
	    "Cache-Control: no-store\r\n"
	    "X-Content-Type-Options: nosniff\r\n"
	    "%s\r\n", status, st->reason, extra);
	if (n < 0 || (size_t)n >= sizeof(head))
		n = 0;	/* cannot happen: the parts are bounded above */
	if (strcmp(rq->method, "HEAD") == 0)	/* HEAD: headers only */
		rq->io->write(rq->io->ctx, head, (size_t)n);
	else
		write_response(rq, head, (size_t)n, text != NULL ? text :
		    "{\"message\":\"Internal server error.\",\"details\":null}");
	cJSON_free(text);
	cJSON_Delete(fixed);
}

/* Wipe every string in a parsed body before it is freed. */
static void
wipe(cJSON *j)
{
	for (; j != NULL; j = j->next) {
		if (cJSON_IsString(j) && j->valuestring != NULL)
			crypto_cleanse(j->valuestring, strlen(j->valuestring));
		wipe(j->child);
	}
}

void
cgi_end(struct req *rq)
{
	char	 sink[4096];
	size_t	 left = rq->unread <= DRAIN_MAX ? rq->unread : 0;
	ssize_t	 n;

	while (left > 0) {
		n = rq->io->read(rq->io->ctx, sink, left < sizeof(sink) ?
		    left : sizeof(sink));
		if (n <= 0)
			break;
		left -= (size_t)n;
	}
	wipe(rq->in);
	cJSON_Delete(rq->in);
	rq->in = NULL;
	if (rq->body != NULL)
		crypto_cleanse(rq->body, rq->bodylen);
	free(rq->body);
	rq->body = NULL;
}
