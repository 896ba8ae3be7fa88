/*
 * libFuzzer harness: the whole request path.  A CGI environment and body
 * go through serve_request() to the response the endpoint would write,
 * which fuzz_serve() checks against SPEC.
 *
 * An input is up to REQS_MAX requests separated by the line "@@@"
 * ("\n@@@\n"), answered in order by one in-memory database that is new for
 * each input (so an input replays the same way alone, and a flow such as
 * register, login, refresh, me can be written down as one input).  Each
 * request is
 *
 *	selector byte	bits 0-1: register, login, refresh, me;
 *			bit 7: logout instead, or with bits 0-1 naming
 *			refresh, refresh under AUTH_ROTATE_REFRESH=1;
 *			bit 2: read() hands out the body a byte at a time;
 *			bit 3: read() fails at the body's end instead of EOF;
 *			bit 4: the body is padded with spaces to 64 KiB,
 *			and bit 5 adds one more (inputs that large would
 *			slow every other input down);
 *			bit 6: no AUTH_JWT_SECRET, so the key is generated
 *			into the database by the first request that needs it
 *	six lines	REQUEST_METHOD, CONTENT_LENGTH, HTTP_AUTHORIZATION,
 *			HTTP_X_FORWARDED_FOR, REMOTE_ADDR,
 *			HTTP_TRANSFER_ENCODING: an empty line leaves the
 *			variable unset, the line "" sets it empty, and a
 *			CONTENT_LENGTH of # is the body's length in bytes;
 *			the first line may go on after a space with
 *			PATH_INFO ("PATCH /email": me/email; "GET " sets
 *			PATH_INFO empty; without a space it is unset)
 *	the body	the rest of the request
 *
 * In the lines and the body @ACCESS@, @REFRESH@, @EXPIRED@ and @NOUSER@
 * stand for tokens (fuzz_subst() in fuzz-io.c): the last ones handed out
 * in this input, or tokens freshly signed for user 1.
 */
#define _GNU_SOURCE	/* memmem */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgi.h"
#include "db.h"
#include "fuzz.h"
#include "serve.h"

#define REQS_MAX	6
#define REQ_SEP		"\n@@@\n"

static struct app	 app;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_setup(&app);
	return 0;
}

/* One request of len bytes at p, served and checked. */
static void
one(const char *p, size_t len, struct fuzz_tokens *t)
{
	struct fuzz_req	 r;
	const char	*end = p + len, *eol;
	char		 num[32];
	const char	*sp, *vend;
	size_t		 n, secretlen = app.cf.secretlen;
	int		 i, auto_length = 0, pad = 0, rotate = app.cf.rotate;

	memset(&r, 0, sizeof(r));
	if (len > 0) {
		r.ep = (enum fuzz_ep)(*p & 3);
		if (*p & 128) {
			if (r.ep == FUZZ_REFRESH)
				app.cf.rotate = 1;	/* conf.h */
			else
				r.ep = FUZZ_LOGOUT;
		}
		r.trickle = (*p & 4) != 0;
		r.read_fails = (*p & 8) != 0;
		pad = (*p & 16) == 0 ? 0 : (*p & 32) == 0 ? 1 : 2;
		if (*p & 64)
			app.cf.secretlen = 0;	/* conf.h: the database's key */
		p++;
	}
	/* The six lines: every variable but PATH_INFO. */
	for (i = 0; i < FUZZ_PATH_INFO && p < end; i++) {
		if ((eol = memchr(p, '\n', (size_t)(end - p))) == NULL)
			eol = end;
		vend = eol;
		if (i == FUZZ_METHOD &&
		    (sp = memchr(p, ' ', (size_t)(eol - p))) != NULL) {
			r.param[FUZZ_PATH_INFO] = fuzz_subst(sp + 1,
			    (size_t)(eol - sp - 1), t, &n);
			vend = sp;	/* the method ends at the space */
		}
		if (i == FUZZ_CONTENT_LENGTH && vend - p == 1 && *p == '#')
			auto_length = 1;
		else if (vend - p == 2 && memcmp(p, "\"\"", 2) == 0)
			r.param[i] = fuzz_subst("", 0, t, &n);
		else if (vend > p)
			r.param[i] = fuzz_subst(p, (size_t)(vend - p), t, &n);
		p = eol < end ? eol + 1 : end;
	}
	r.body = fuzz_subst(p, (size_t)(end - p), t, &r.bodylen);
	if (pad > 0 && r.bodylen < CGI_BODY_MAX) {
		n = CGI_BODY_MAX + (pad == 2);
		if ((r.body = realloc(r.body, n + 1)) == NULL)
			fuzz_fail("out of memory");
		memset(r.body + r.bodylen, ' ', n - r.bodylen);
		r.body[n] = '\0';
		r.bodylen = n;
	}
	if (auto_length) {
		snprintf(num, sizeof(num), "%zu", r.bodylen);
		r.param[FUZZ_CONTENT_LENGTH] = fuzz_subst(num, strlen(num), t,
		    &n);
	}
	fuzz_serve(&app, &r, t);
	fuzz_req_free(&r);
	app.cf.secretlen = secretlen;
	app.cf.rotate = rotate;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_tokens t;
	const char	*p = (const char *)data, *end = p + size, *next;
	int		 i;

	memset(&t, 0, sizeof(t));
	if ((app.db = db_open(NULL, DB_CREATE)) == NULL)
		fuzz_fail("db_open(NULL) failed");
	for (i = 0; i < REQS_MAX; i++) {
		next = memmem(p, (size_t)(end - p), REQ_SEP, strlen(REQ_SEP));
		one(p, next != NULL ? (size_t)(next - p) : (size_t)(end - p),
		    &t);
		if (next == NULL)
			break;
		p = next + strlen(REQ_SEP);
	}
	db_close(app.db);	/* NULL if the last request dropped it */
	app.db = NULL;
	return 0;
}
