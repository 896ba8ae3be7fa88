/*
 * What the libFuzzer harnesses of tests/fuzz/ share (fuzz-io.c): the
 * settings they run under, a request held in memory and answered by the
 * library's own serve_request(), the checks every response must pass, and
 * the one way a harness reports a broken invariant.
 */
#ifndef FUZZ_H
#define FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include "jwt.h"
#include "serve.h"

/*
 * The signing key of tests/vectors.json, so
 * that the simplejwt vectors in the seed corpora verify in the harnesses.
 */
#define FUZZ_KEY \
	"django-insecure-vector-key-7f3a9c2e41b86d05e1f4a7c9b3d2e8f0"
#define FUZZ_WINDOW	3600	/* AUTH_RATE_WINDOW: the most Retry-After */
#define FUZZ_TOKEN_MAX	1024	/* room for a token we sign */

/*
 * The endpoints, built as the mains of cgi-bin/ build them: me serves
 * GET (HEAD) and DELETE, and PATCH /email and PUT /password by PATH_INFO.
 */
enum fuzz_ep {
	FUZZ_REGISTER,
	FUZZ_LOGIN,
	FUZZ_REFRESH,
	FUZZ_ME,
	FUZZ_LOGOUT,
	FUZZ__MAX
};

/* The CGI variables a request carries (NULL: unset). */
enum fuzz_param {
	FUZZ_METHOD,		/* REQUEST_METHOD */
	FUZZ_CONTENT_LENGTH,	/* CONTENT_LENGTH */
	FUZZ_AUTHORIZATION,	/* HTTP_AUTHORIZATION */
	FUZZ_FORWARDED_FOR,	/* HTTP_X_FORWARDED_FOR */
	FUZZ_REMOTE_ADDR,	/* REMOTE_ADDR */
	FUZZ_TRANSFER_ENCODING,	/* HTTP_TRANSFER_ENCODING */
	FUZZ_PATH_INFO,		/* PATH_INFO */
	FUZZ_PARAM__MAX
};

/* One request and its response, all in memory. */
struct fuzz_req {
	enum fuzz_ep	 ep;
	char		*param[FUZZ_PARAM__MAX];	/* owned; NULL: unset */
	char		*body;		/* owned, bodylen bytes */
	size_t		 bodylen;
	size_t		 pos;		/* body bytes read() has given */
	int		 trickle;	/* read() gives one byte at a time */
	int		 read_fails;	/* read() fails once the body is out */
	char		*out;		/* what write() got, NUL-terminated */
	size_t		 outlen;
	size_t		 outsz;
};

/*
 * Tokens for the placeholders of fuzz_subst().  access and refresh start
 * empty (a fresh token for user 1 is signed when one is needed) and take
 * the last tokens a response handed out.
 */
struct fuzz_tokens {
	char		 access[FUZZ_TOKEN_MAX];
	char		 refresh[FUZZ_TOKEN_MAX];
};

/* libFuzzer's entry points, which every harness defines. */
int	LLVMFuzzerInitialize(int *argc, char ***argv);
int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Once, from LLVMFuzzerInitialize: keep a descriptor on stderr for
 * fuzz_fail() (libFuzzer's -close_fd_mask=2 silences the library's log
 * lines, not ours), set the AUTH_* environment and, if app is not NULL,
 * app_init() it.  Any failure aborts: the harness cannot run.
 */
void	fuzz_setup(struct app *app);

/*
 * The LLVMFuzzerInitialize of a harness that needs no app: fuzz_setup(NULL).
 * Weak, so a harness that needs more defines its own.
 */

/* Report a broken invariant on the saved stderr and abort(). */
void	fuzz_fail(const char *fmt, ...)
	    __attribute__((noreturn, format(printf, 1, 2)));

/*
 * A copy of len bytes of s, NUL-terminated (*outlen without the NUL), in
 * which each placeholder is replaced by a token for the fuzz key:
 * @ACCESS@ and @REFRESH@ (t's, or freshly signed for user 1), @EXPIRED@
 * (an access token for user 1 that expired ten minutes ago) and @NOUSER@
 * (an access token for user 999999).  The caller frees it.
 */
char	*fuzz_subst(const char *s, size_t len, struct fuzz_tokens *t,
	    size_t *outlen);

/* Sign a token with FUZZ_KEY into out (FUZZ_TOKEN_MAX); aborts on failure. */
void	fuzz_sign(char *out, enum jwt_type type, long long user_id,
	    long long now, long long ttl);

/*
 * Answer r through serve_request() with an in-memory database (opened
 * with db_open(NULL) if app has none, as after a 503), then check the
 * response as SPEC "Every response" and the endpoint's section say (by
 * PATH_INFO and method: 404 for a path the endpoint does not serve, 405
 * with its Allow for a method it does not serve there, else only the
 * statuses of that operation), and abort() through fuzz_fail() if it
 * breaks one of them.  Tokens that a successful response hands out must
 * verify under FUZZ_KEY (when app's settings hold it, not the database's
 * key), and are kept in t (may be NULL); a refresh answers a new refresh
 * token exactly when app's settings rotate.  Returns the status.
 */
int	fuzz_serve(struct app *app, struct fuzz_req *r, struct fuzz_tokens *t);

/* Free what r owns, and clear it. */
void	fuzz_req_free(struct fuzz_req *r);

#endif
