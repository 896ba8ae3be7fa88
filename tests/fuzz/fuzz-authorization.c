/*
 * libFuzzer harness: the Authorization header through GET me.  The input
 * (up to a NUL, as an environment variable would hold it) is the value of
 * HTTP_AUTHORIZATION, an empty input leaves it unset; @ACCESS@, @REFRESH@,
 * @EXPIRED@ and @NOUSER@ in it stand for tokens signed with FUZZ_KEY
 * (fuzz_subst() in fuzz-io.c), @ACCESS@ a good one for user 1.
 *
 * The in-memory database holds one user, id 1, registered through the
 * register endpoint at start-up (again should a 503 have dropped the
 * database; me never writes, so every input sees the same database).
 * Beyond fuzz_serve()'s checks, the status must be the one SPEC "GET me"
 * gives: 200 exactly for "Bearer" in any case, one space and one token
 * that jwt_verify() takes as user 1's access token; else 401, with
 * error="invalid_token" exactly when a token was sent.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "db.h"
#include "fuzz.h"
#include "jwt.h"
#include "serve.h"

#define USER_BODY \
	"{\"username\":\"fuzzuser\",\"email\":\"fuzz@example.com\"," \
	"\"password\":\"s3cure!Pass\"}"

static struct app	 app;

/* A request to ep with method and REMOTE_ADDR set; the caller adds. */
static void
request(struct fuzz_req *r, enum fuzz_ep ep, const char *method)
{
	memset(r, 0, sizeof(*r));
	r->ep = ep;
	r->param[FUZZ_METHOD] = strdup(method);
	r->param[FUZZ_REMOTE_ADDR] = strdup("192.0.2.1");
	if (r->param[FUZZ_METHOD] == NULL || r->param[FUZZ_REMOTE_ADDR] == NULL)
		fuzz_fail("strdup: out of memory");
}

/* A database holding user 1, registered as a client would. */
static void
ensure_user(void)
{
	struct fuzz_tokens t;
	struct fuzz_req	 r;
	char		 cl[16];
	int		 st;

	if (app.db != NULL)
		return;
	if ((app.db = db_open(NULL, DB_CREATE)) == NULL)
		fuzz_fail("db_open(NULL) failed");
	memset(&t, 0, sizeof(t));
	request(&r, FUZZ_REGISTER, "POST");
	snprintf(cl, sizeof(cl), "%zu", strlen(USER_BODY));
	r.param[FUZZ_CONTENT_LENGTH] = strdup(cl);
	r.body = strdup(USER_BODY);
	if (r.param[FUZZ_CONTENT_LENGTH] == NULL || r.body == NULL)
		fuzz_fail("strdup: out of memory");
	r.bodylen = strlen(r.body);
	if ((st = fuzz_serve(&app, &r, &t)) != 201)
		fuzz_fail("setup: register answered %d", st);
	fuzz_req_free(&r);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_setup(&app);
	ensure_user();
	return 0;
}

/* What SPEC "GET me" answers to this header at now. */
static int
expected(const char *h, long long now)
{
	struct jwt_claims c = { 0 };

	if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0 || h[7] == '\0' ||
	    strchr(h + 7, ' ') != NULL)
		return 401;
	if (jwt_verify(h + 7, strlen(h + 7), FUZZ_KEY, strlen(FUZZ_KEY),
	    JWT_ACCESS, now, &c) != JWT_OK || c.user_id != 1)
		return 401;
	return 200;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_tokens t;
	struct fuzz_req	 r;
	const char	*h, *v, *sep;
	size_t		 n, len;
	int		 st, before, after, sent;

	ensure_user();
	memset(&t, 0, sizeof(t));
	request(&r, FUZZ_ME, "GET");
	if (size > 0) {
		n = strnlen((const char *)data, size);
		r.param[FUZZ_AUTHORIZATION] = fuzz_subst((const char *)data, n,
		    &t, &len);
	}
	h = r.param[FUZZ_AUTHORIZATION];
	before = expected(h, time(NULL));
	st = fuzz_serve(&app, &r, &t);
	after = expected(h, time(NULL));
	/* A token that expired during the request could go either way. */
	if (before == after && st != before)
		fuzz_fail("me answered %d where SPEC says %d to \"%s\"", st,
		    before, h != NULL ? h : "(unset)");
	if (st == 401) {
		sent = h != NULL && strncasecmp(h, "Bearer ", 7) == 0 &&
		    h[7] != '\0';
		sep = strstr(r.out, "\r\n\r\n");
		v = strstr(r.out, "\r\nWWW-Authenticate: ");
		if (v == NULL || v > sep)
			fuzz_fail("a 401 from me without WWW-Authenticate");
		v += strlen("\r\nWWW-Authenticate: ");
		if (strncmp(v, sent ? "Bearer error=\"invalid_token\"\r\n" :
		    "Bearer\r\n", sent ? 30 : 8) != 0)
			fuzz_fail("a 401 to \"%s\" with WWW-Authenticate: "
			    "%.40s", h != NULL ? h : "(unset)", v);
	}
	fuzz_req_free(&r);
	return 0;
}
