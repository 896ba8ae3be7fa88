/*
 * The request loop: CGI (RFC 3875) or FastCGI through libfcgi, chosen by
 * what descriptor 0 is, as libfcgi decides it (a listening socket means a
 * FastCGI server started us).
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cJSON.h>
#include <fcgiapp.h>

#include "db.h"
#include "serve.h"

/*
 * The handler of ep for the request's path and method, NULL if there is
 * none; rq->allow is set to the methods served at the path (empty: the
 * path is served by none).
 */
static const struct handler *
route(const struct endpoint *ep, struct req *rq)
{
	const struct handler *h, *found = NULL;
	size_t		 i, used = 0;
	int		 n;

	for (i = 0; i < ep->n; i++) {
		h = &ep->handlers[i];
		if (strcmp(h->path, rq->path) != 0)
			continue;
		n = snprintf(rq->allow + used, sizeof(rq->allow) - used,
		    "%s%s%s", used > 0 ? ", " : "", h->method,
		    strcmp(h->method, "GET") == 0 ? ", HEAD" : "");
		if (n > 0 && (size_t)n < sizeof(rq->allow) - used)
			used += (size_t)n;
		if (strcmp(h->method, rq->method) == 0 ||
		    (strcmp(h->method, "GET") == 0 &&
		    strcmp(rq->method, "HEAD") == 0))
			found = h;
	}
	return found;
}

void
serve_request(struct app *app, const struct endpoint *ep,
    const struct cgi_io *io)
{
	const struct handler *h;
	struct req	 rq;
	cJSON		*out = NULL;
	int		 st;

	cgi_begin(&rq, io);
	h = route(ep, &rq);
	if (!app->conf_ok) {
		st = 500;	/* SPEC "Configuration": logged by conf_load */
		goto out;
	}
	if (h == NULL) {
		st = rq.allow[0] == '\0' ? 404 : 405;	/* 405: with Allow */
		goto out;
	}
	if (h->body == BODY_FIRST && (st = cgi_read_json(&rq)) != 200)
		goto out;				/* 413, 400 */
	st = h->run(&rq, app, rq.in, &out);
out:
	cgi_reply(&rq, st, out);
	cJSON_Delete(out);
	cgi_end(&rq);
	/* After a storage failure the next request starts on a fresh handle. */
	if (st == 503)
		app_db_reset(app);
}

static const char *
fcgi_param(void *ctx, const char *name)
{
	return FCGX_GetParam(name, ((FCGX_Request *)ctx)->envp);
}

static ssize_t
fcgi_read(void *ctx, char *buf, size_t len)
{
	int	 n = len > 65536 ? 65536 : (int)len;

	return FCGX_GetStr(buf, n, ((FCGX_Request *)ctx)->in);
}

static void
fcgi_write(void *ctx, const char *buf, size_t len)
{
	FCGX_Request	*r = ctx;
	int		 n;

	for (; len > 0; buf += n, len -= (size_t)n) {
		n = len > 65536 ? 65536 : (int)len;
		if (FCGX_PutStr(buf, n, r->out) != n)
			return;	/* the server hung up */
	}
}

int
serve(const struct endpoint *ep)
{
	FCGX_Request	 r;
	struct cgi_io	 io = { fcgi_param, fcgi_read, fcgi_write, &r };
	struct app	 app;
	int		 fd;

	/*
	 * As slowcgi does: a closed standard descriptor would make a later
	 * open() (the database) become "stdout" or "stderr".
	 */
	while ((fd = open("/dev/null", O_RDWR)) >= 0 && fd <= 2)
		continue;
	if (fd > 2)
		close(fd);
	app_init(&app);
	if (FCGX_IsCGI()) {
		serve_request(&app, ep, &cgi_stdio);
		/*
		 * The answer ends when our stdout closes: close it now, so the
		 * server is not kept waiting for the database's clean-up.
		 */
		if ((fd = open("/dev/null", O_WRONLY | O_CLOEXEC)) != -1) {
			dup2(fd, STDOUT_FILENO);
			close(fd);
		}
	} else if (FCGX_Init() == 0 && FCGX_InitRequest(&r, 0, 0) == 0) {
		app.keep = 1;
		while (FCGX_Accept_r(&r) >= 0) {
			app_params(&app, r.envp);
			serve_request(&app, ep, &io);
			FCGX_Finish_r(&r);
			/* Once the answer is out, as a CGI process's exit. */
			db_tidy(app.db);
		}
	} else
		fprintf(stderr, "serve: FastCGI set-up failed\n");
	app_free(&app);
	return 0;
}
