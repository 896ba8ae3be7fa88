/*
 * The harnesses' common part: settings, placeholders, a request served
 * from memory through serve_request(), and the response checks.
 */
#define _GNU_SOURCE	/* memmem, strcasestr */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cJSON.h>

#include "auth.h"
#include "cgi.h"
#include "db.h"
#include "fuzz.h"
#include "jwt.h"
#include "serve.h"
#include "text.h"
#include "json.h"
#include "valid.h"

#define NOUSER_ID	999999LL	/* never registered by a harness */

static int	 errfd = -1;
static int	 trace;
static int	 keyed;		/* tokens are signed with FUZZ_KEY */

static const char *const ep_names[FUZZ__MAX] = {
	"register", "login", "refresh", "me", "logout",
};

/* As cgi-bin/register.c and its siblings build them. */
static const struct handler register_h[] = {
	{ "", "POST", BODY_FIRST, auth_register },
};
static const struct handler login_h[] = {
	{ "", "POST", BODY_FIRST, auth_login },
};
static const struct handler refresh_h[] = {
	{ "", "POST", BODY_FIRST, auth_refresh },
};
static const struct handler me_h[] = {
	{ "", "GET", BODY_NONE, auth_me },
	{ "", "DELETE", BODY_LATER, auth_me_delete },
	{ "/email", "PATCH", BODY_LATER, auth_me_email },
	{ "/password", "PUT", BODY_LATER, auth_me_password },
};
static const struct handler logout_h[] = {
	{ "", "POST", BODY_FIRST, auth_logout },
};

#define NHANDLERS(h)	(sizeof(h) / sizeof((h)[0]))

static const struct endpoint endpoints[FUZZ__MAX] = {
	{ register_h, NHANDLERS(register_h) },	/* FUZZ_REGISTER */
	{ login_h, NHANDLERS(login_h) },	/* FUZZ_LOGIN */
	{ refresh_h, NHANDLERS(refresh_h) },	/* FUZZ_REFRESH */
	{ me_h, NHANDLERS(me_h) },		/* FUZZ_ME */
	{ logout_h, NHANDLERS(logout_h) },	/* FUZZ_LOGOUT */
};

/*
 * What a request asks for, as SPEC names the URLs and methods (written
 * down here apart from the handler tables above, so that a routing
 * mistake in either shows).
 */
enum fuzz_op {
	OP_NOT_FOUND,	/* a PATH_INFO the endpoint does not serve: 404 */
	OP_NO_METHOD,	/* a method the path does not serve: 405 */
	OP_REGISTER,	/* POST register */
	OP_LOGIN,	/* POST login */
	OP_REFRESH,	/* POST refresh */
	OP_ME,		/* GET or HEAD me */
	OP_DELETE,	/* DELETE me */
	OP_EMAIL,	/* PATCH me/email */
	OP_PASSWORD,	/* PUT me/password */
	OP_LOGOUT	/* POST logout */
};

static const char *const param_names[FUZZ_PARAM__MAX] = {
	"REQUEST_METHOD",		/* FUZZ_METHOD */
	"CONTENT_LENGTH",		/* FUZZ_CONTENT_LENGTH */
	"HTTP_AUTHORIZATION",		/* FUZZ_AUTHORIZATION */
	"HTTP_X_FORWARDED_FOR",		/* FUZZ_FORWARDED_FOR */
	"REMOTE_ADDR",			/* FUZZ_REMOTE_ADDR */
	"HTTP_TRANSFER_ENCODING",	/* FUZZ_TRANSFER_ENCODING */
	"PATH_INFO",			/* FUZZ_PATH_INFO */
};

/*
 * The settings every harness runs under.  One PBKDF2 iteration, so that
 * register and login cost microseconds; no hashing slots (they would need
 * a lock file beside a database file); the attempt counter on, with limits
 * low enough for a few requests of one input to meet them; trusted
 * proxies, so that X-Forwarded-For is walked.  AUTH_DB names a file that
 * cannot be created: every database here is db_open(NULL)'s, in memory.
 */
static const char *const settings[][2] = {
	{ "AUTH_DB", "/nonexistent/corners-auth-fuzz.db" },
	{ "AUTH_JWT_SECRET", FUZZ_KEY },
	{ "AUTH_PBKDF2_ITERATIONS", "1" },
	{ "AUTH_HASH_SLOTS", "0" },
	{ "AUTH_RATE_LIMIT", "1" },
	{ "AUTH_RATE_WINDOW", "3600" },		/* FUZZ_WINDOW */
	{ "AUTH_RATE_REGISTER", "3" },
	{ "AUTH_RATE_LOGIN", "4" },
	{ "AUTH_RATE_REFRESH", "4" },
	{ "AUTH_RATE_PASSWORD", "3" },
	{ "AUTH_TRUSTED_PROXIES", "127.0.0.0/8,::1" },
	{ "AUTH_MIN_PASSWORD_ENTROPY", "16" },
};

void
fuzz_fail(const char *fmt, ...)
{
	char	 msg[1024];
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n > sizeof(msg) - 2)
		n = (int)sizeof(msg) - 2;
	msg[n++] = '\n';
	if (write(errfd != -1 ? errfd : STDERR_FILENO, "fuzz: ", 6) < 0 ||
	    write(errfd != -1 ? errfd : STDERR_FILENO, msg, (size_t)n) < 0)
		n = 0;	/* nothing more to try */
	abort();
}

void
fuzz_setup(struct app *app)
{
	size_t	 i;

	if (errfd == -1)
		errfd = dup(STDERR_FILENO);
	trace = getenv("FUZZ_TRACE") != NULL;
	unsetenv("AUTH_JWT_SECRET_FILE");
	unsetenv("AUTH_ACCESS_TTL");
	unsetenv("AUTH_REFRESH_TTL");
	for (i = 0; i < sizeof(settings) / sizeof(settings[0]); i++)
		if (setenv(settings[i][0], settings[i][1], 1) == -1)
			fuzz_fail("setenv %s: %s", settings[i][0],
			    strerror(errno));
	if (app == NULL)
		return;
	app_init(app);
	if (!app->conf_ok)
		fuzz_fail("setup: conf_load refused the fuzz settings");
}

__attribute__((weak)) int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_setup(NULL);
	return 0;
}

void
fuzz_sign(char *out, enum jwt_type type, long long user_id, long long now,
    long long ttl)
{
	if (jwt_sign(FUZZ_KEY, strlen(FUZZ_KEY), type, user_id, now, ttl, out,
	    FUZZ_TOKEN_MAX, NULL) == -1)
		fuzz_fail("jwt_sign failed");
}

/* The token a placeholder stands for, signed when first needed. */
static const char *
token_for(int which, struct fuzz_tokens *t, char *scratch)
{
	long long	 now = time(NULL);

	switch (which) {
	case 0:
		if (t->access[0] == '\0')
			fuzz_sign(t->access, JWT_ACCESS, 1, now, 300);
		return t->access;
	case 1:
		if (t->refresh[0] == '\0')
			fuzz_sign(t->refresh, JWT_REFRESH, 1, now, 86400);
		return t->refresh;
	case 2:
		fuzz_sign(scratch, JWT_ACCESS, 1, now - 900, 300);
		return scratch;
	default:
		fuzz_sign(scratch, JWT_ACCESS, NOUSER_ID, now, 300);
		return scratch;
	}
}

char *
fuzz_subst(const char *s, size_t len, struct fuzz_tokens *t, size_t *outlen)
{
	static const char *const names[] = {
		"@ACCESS@", "@REFRESH@", "@EXPIRED@", "@NOUSER@",
	};
	char		 scratch[FUZZ_TOKEN_MAX];
	const char	*tok;
	char		*out;
	size_t		 i, o = 0, k, n, sz;

	/* Each placeholder is at least 8 bytes and a token under 1024. */
	sz = len + (len / 8 + 1) * FUZZ_TOKEN_MAX + 1;
	if ((out = malloc(sz)) == NULL)
		fuzz_fail("subst: out of memory");
	for (i = 0; i < len; ) {
		for (k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
			n = strlen(names[k]);
			if (len - i >= n && memcmp(s + i, names[k], n) == 0)
				break;
		}
		if (k == sizeof(names) / sizeof(names[0])) {
			out[o++] = s[i++];
			continue;
		}
		tok = token_for((int)k, t, scratch);
		memcpy(out + o, tok, strlen(tok));
		o += strlen(tok);
		i += strlen(names[k]);
	}
	out[o] = '\0';
	*outlen = o;
	return out;
}

static const char *
io_param(void *ctx, const char *name)
{
	struct fuzz_req	*r = ctx;
	size_t		 i;

	for (i = 0; i < FUZZ_PARAM__MAX; i++)
		if (strcmp(name, param_names[i]) == 0)
			return r->param[i];
	return NULL;
}

static ssize_t
io_read(void *ctx, char *buf, size_t len)
{
	struct fuzz_req	*r = ctx;
	size_t		 n = r->bodylen - r->pos;

	if (n == 0 && r->read_fails) {
		errno = EIO;
		return -1;
	}
	if (n > len)
		n = len;
	if (n > 1 && r->trickle)
		n = 1;
	memcpy(buf, r->body + r->pos, n);
	r->pos += n;
	return (ssize_t)n;
}

static void
io_write(void *ctx, const char *buf, size_t len)
{
	struct fuzz_req	*r = ctx;
	char		*p;

	if (r->outlen + len + 1 > r->outsz) {
		r->outsz = 2 * (r->outlen + len + 1);
		if ((p = realloc(r->out, r->outsz)) == NULL)
			fuzz_fail("write: out of memory");
		r->out = p;
	}
	memcpy(r->out + r->outlen, buf, len);
	r->outlen += len;
	r->out[r->outlen] = '\0';
}

/*
 * The most body bytes a request may consume: CONTENT_LENGTH, never more
 * (no trust in CONTENT_LENGTH beyond the cap), or up to end of file for a chunked body.
 */
static size_t
may_read(const struct fuzz_req *r)
{
	const char	*cl = r->param[FUZZ_CONTENT_LENGTH];
	const char	*te = r->param[FUZZ_TRANSFER_ENCODING];
	size_t		 n = 0;

	if (cl == NULL || *cl == '\0')
		return te != NULL && strcasestr(te, "chunked") != NULL ?
		    (size_t)-1 : 0;
	for (; *cl != '\0'; cl++) {
		if (*cl < '0' || *cl > '9')
			return 0;	/* not a length: nothing may be read */
		n = n > ((size_t)-1 - 9) / 10 ? (size_t)-1 :
		    n * 10 + (size_t)(*cl - '0');
	}
	return n;
}

/* The value of header name in the head (hlen bytes), NUL if none. */
static const char *
header(const char *head, size_t hlen, const char *name, size_t *vlen)
{
	const char	*p = head, *end = head + hlen, *eol;
	size_t		 n = strlen(name);

	while (p < end) {
		if ((eol = memmem(p, (size_t)(end - p), "\r\n", 2)) == NULL)
			eol = end;
		if ((size_t)(eol - p) > n + 1 && memcmp(p, name, n) == 0 &&
		    p[n] == ':' && p[n + 1] == ' ') {
			*vlen = (size_t)(eol - p) - n - 2;
			return p + n + 2;
		}
		p = eol + 2;
	}
	return NULL;
}

static int
header_is(const char *head, size_t hlen, const char *name, const char *want)
{
	const char	*v;
	size_t		 vlen;

	return (v = header(head, hlen, name, &vlen)) != NULL &&
	    vlen == strlen(want) && memcmp(v, want, vlen) == 0;
}

/* The parameter, or "" when it is unset. */
static const char *
param_or_empty(const struct fuzz_req *r, enum fuzz_param p)
{
	return r->param[p] != NULL ? r->param[p] : "";
}

/*
 * The operation r asks for (SPEC "Shape of the product", "Every
 * response"), and in *allow the Allow header a 405 there carries (NULL
 * for a path not served).
 */
static enum fuzz_op
expected_op(const struct fuzz_req *r, const char **allow)
{
	const char	*path = param_or_empty(r, FUZZ_PATH_INFO);
	const char	*m = param_or_empty(r, FUZZ_METHOD);

	*allow = NULL;
	if (r->ep != FUZZ_ME) {
		if (*path != '\0')
			return OP_NOT_FOUND;
		*allow = "POST";
		if (strcmp(m, "POST") != 0)
			return OP_NO_METHOD;
		return r->ep == FUZZ_REGISTER ? OP_REGISTER :
		    r->ep == FUZZ_LOGIN ? OP_LOGIN :
		    r->ep == FUZZ_REFRESH ? OP_REFRESH : OP_LOGOUT;
	}
	if (*path == '\0') {
		*allow = "GET, HEAD, DELETE";
		if (strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0)
			return OP_ME;
		return strcmp(m, "DELETE") == 0 ? OP_DELETE : OP_NO_METHOD;
	}
	if (strcmp(path, "/email") == 0) {
		*allow = "PATCH";
		return strcmp(m, "PATCH") == 0 ? OP_EMAIL : OP_NO_METHOD;
	}
	if (strcmp(path, "/password") == 0) {
		*allow = "PUT";
		return strcmp(m, "PUT") == 0 ? OP_PASSWORD : OP_NO_METHOD;
	}
	return OP_NOT_FOUND;
}

/* The statuses SPEC lets each operation answer a client with. */
static int
status_allowed(enum fuzz_op op, int st)
{
	switch (op) {
	case OP_NOT_FOUND:
		return st == 404;
	case OP_NO_METHOD:
		return st == 405;
	default:
		break;
	}
	switch (st) {
	case 200:
		return op != OP_REGISTER;
	case 201:
		return op == OP_REGISTER;
	case 400:
	case 413:
	case 422:
		return op != OP_ME;
	case 401:
		return op != OP_REGISTER;
	case 403:
		/* SPEC "Account endpoints": no usable password. */
		return op == OP_EMAIL || op == OP_PASSWORD;
	case 429:
		/* PATCH me/email counts in no scope. */
		return op != OP_ME && op != OP_EMAIL;
	default:
		/*
		 * SPEC "Every response": never a 5xx for anything a client
		 * can send.  The database is in memory: no 503 either.
		 */
		return 0;
	}
}

/* The operations that take a bearer token: their 401s say so. */
static int
is_bearer_op(enum fuzz_op op)
{
	return op == OP_ME || op == OP_DELETE || op == OP_EMAIL ||
	    op == OP_PASSWORD;
}

/* A token that a response handed out: it must verify as type, user >= 1. */
static void
check_token(const cJSON *body, const char *name, enum jwt_type type,
    char *keep)
{
	const cJSON	*c = json_member(body, name);
	struct jwt_claims claims = { 0 };
	enum jwt_verdict v;

	if (!cJSON_IsString(c))
		fuzz_fail("response: no \"%s\" string", name);
	if (!keyed) {
		/* Signed with the database's key, which we do not know. */
		if (strlen(c->valuestring) >= FUZZ_TOKEN_MAX ||
		    strchr(c->valuestring, '.') == NULL)
			fuzz_fail("response: a %s token \"%s\"", name,
			    c->valuestring);
		if (keep != NULL)
			strcpy(keep, c->valuestring);
		return;
	}
	v = jwt_verify(c->valuestring, strlen(c->valuestring), FUZZ_KEY,
	    strlen(FUZZ_KEY), type, time(NULL), &claims);
	if (v != JWT_OK || claims.user_id < 1)
		fuzz_fail("response: the %s token handed out does not verify "
		    "(verdict %d, user %lld): %s", name, (int)v, claims.user_id,
		    c->valuestring);
	if (keep != NULL) {
		if (strlen(c->valuestring) >= FUZZ_TOKEN_MAX)
			fuzz_fail("response: a %zu-byte token",
			    strlen(c->valuestring));
		strcpy(keep, c->valuestring);
	}
}

/* The body is exactly {"message": msg} (a success that is a note). */
static void
check_note(const cJSON *body, const char *msg, const char *text)
{
	const cJSON	*c = json_member(body, "message");

	if (cJSON_GetArraySize(body) != 1 || !cJSON_IsString(c) ||
	    strcmp(c->valuestring, msg) != 0)
		fuzz_fail("response: not {\"message\": \"%s\"}: %s", msg, text);
}

/* A profile (GET me, PATCH me/email): an account register's rules take. */
static void
check_profile(const cJSON *body, const char *text)
{
	const cJSON	*c;

	c = json_member(body, "id");
	if (!cJSON_IsNumber(c) || c->valuedouble < 1)
		fuzz_fail("response: a profile without an id: %s", text);
	c = json_member(body, "username");
	if (!cJSON_IsString(c) || !valid_username(c->valuestring))
		fuzz_fail("response: a profile with a username that register "
		    "should have refused: %s", text);
	c = json_member(body, "email");
	if (!cJSON_IsString(c) || !valid_email(c->valuestring))
		fuzz_fail("response: a profile with an email that register "
		    "should have refused: %s", text);
}

/* The fixed message of a status answered without a body of its own. */
static const char *
fixed_message(int st)
{
	switch (st) {
	case 404:
		return "Not found.";
	case 405:
		return "Method not allowed.";
	case 413:
		return "Request body too large.";
	default:
		return NULL;
	}
}

/* The JSON body of a response with status st to operation op. */
static void
check_body(enum fuzz_op op, int rotate, int st, const char *text,
    size_t len, long long retry_after, struct fuzz_tokens *t)
{
	const cJSON	*c, *d;
	cJSON		*body;
	const char	*end = NULL, *fixed;

	if (text_length(text, len) < 0)
		fuzz_fail("response: the body is not UTF-8");
	body = cJSON_ParseWithLengthOpts(text, len + 1, &end, 1);
	if (!cJSON_IsObject(body))
		fuzz_fail("response: the body is no JSON object: %s", text);
	if (st >= 400) {
		c = json_member(body, "message");
		d = json_member(body, "details");
		if (!cJSON_IsString(c) || d == NULL ||
		    (!cJSON_IsNull(d) && !cJSON_IsObject(d)))
			fuzz_fail("response: a %d without message and details: "
			    "%s", st, text);
		if ((fixed = fixed_message(st)) != NULL &&
		    (strcmp(c->valuestring, fixed) != 0 || !cJSON_IsNull(d)))
			fuzz_fail("response: a %d that is not {\"message\": "
			    "\"%s\", \"details\": null}: %s", st, fixed, text);
		c = json_member(d, "retry_after");
		if (st == 429 && (!cJSON_IsNumber(c) ||
		    c->valuedouble != (double)retry_after))
			fuzz_fail("response: a 429 whose details.retry_after "
			    "is not its Retry-After: %s", text);
		cJSON_Delete(body);
		return;
	}
	switch (op) {
	case OP_REGISTER:
	case OP_LOGIN:
		check_token(body, "access", JWT_ACCESS,
		    t != NULL ? t->access : NULL);
		check_token(body, "refresh", JWT_REFRESH,
		    t != NULL ? t->refresh : NULL);
		break;
	case OP_REFRESH:
		check_token(body, "access", JWT_ACCESS,
		    t != NULL ? t->access : NULL);
		/* SPEC "Refresh rotation": a new refresh token iff rotating. */
		if (rotate)
			check_token(body, "refresh", JWT_REFRESH,
			    t != NULL ? t->refresh : NULL);
		else if (json_member(body, "refresh") != NULL)
			fuzz_fail("response: refresh rotated the refresh "
			    "token without AUTH_ROTATE_REFRESH");
		break;
	case OP_PASSWORD:
		c = json_member(body, "message");
		if (!cJSON_IsString(c) ||
		    strcmp(c->valuestring, "Password changed successfully.") != 0)
			fuzz_fail("response: a password change without its "
			    "message: %s", text);
		check_token(body, "access", JWT_ACCESS,
		    t != NULL ? t->access : NULL);
		check_token(body, "refresh", JWT_REFRESH,
		    t != NULL ? t->refresh : NULL);
		break;
	case OP_DELETE:
		check_note(body, "Account deleted successfully.", text);
		break;
	case OP_LOGOUT:
		check_note(body, "Logged out.", text);
		break;
	default:	/* OP_ME, OP_EMAIL */
		check_profile(body, text);
		break;
	}
	cJSON_Delete(body);
}

/*
 * A 401 from an account endpoint is the bearer token's (SPEC "Account
 * endpoints": the same 401s as GET me): GET me with the same Authorization
 * must be refused too.  (It writes nothing: me counts in no scope.)
 */
static void
check_401_is_the_token(struct app *app, const struct fuzz_req *r)
{
	struct fuzz_req	 me;
	struct cgi_io	 io = { io_param, io_read, io_write, &me };

	memset(&me, 0, sizeof(me));
	me.ep = FUZZ_ME;
	if ((me.param[FUZZ_METHOD] = strdup("GET")) == NULL ||
	    (r->param[FUZZ_AUTHORIZATION] != NULL &&
	    (me.param[FUZZ_AUTHORIZATION] =
	    strdup(r->param[FUZZ_AUTHORIZATION])) == NULL))
		fuzz_fail("out of memory");
	if (app->db == NULL && (app->db = db_open(NULL, DB_CREATE)) == NULL)
		fuzz_fail("db_open(NULL) failed");
	serve_request(app, &endpoints[FUZZ_ME], &io);
	if (me.out == NULL || strncmp(me.out, "Status: 401 ", 12) != 0)
		fuzz_fail("response: a 401 from %s%s, but GET me takes the "
		    "same token: %.40s", ep_names[r->ep],
		    param_or_empty(r, FUZZ_PATH_INFO),
		    me.out != NULL ? me.out : "(nothing)");
	fuzz_req_free(&me);
}

int
fuzz_serve(struct app *app, struct fuzz_req *r, struct fuzz_tokens *t)
{
	const struct endpoint *ep = &endpoints[r->ep];
	struct cgi_io	 io = { io_param, io_read, io_write, r };
	const char	*head, *v, *sep, *allow;
	char		 want[64];
	long long	 retry = 0;
	size_t		 hlen, vlen;
	enum fuzz_op	 op = expected_op(r, &allow);
	int		 st;

	if (app->db == NULL && (app->db = db_open(NULL, DB_CREATE)) == NULL)
		fuzz_fail("db_open(NULL) failed");
	r->pos = 0;
	r->outlen = 0;
	keyed = app->cf.secretlen > 0;
	serve_request(app, ep, &io);

	if (r->pos > may_read(r))
		fuzz_fail("read %zu body bytes, past CONTENT_LENGTH \"%s\"",
		    r->pos, r->param[FUZZ_CONTENT_LENGTH] != NULL ?
		    r->param[FUZZ_CONTENT_LENGTH] : "(unset)");
	if (r->out == NULL || r->outlen < 12 ||
	    memcmp(r->out, "Status: ", 8) != 0 ||
	    strspn(r->out + 8, "0123456789") != 3 || r->out[11] != ' ')
		fuzz_fail("response: no \"Status: NNN \" first: %.80s",
		    r->out != NULL ? r->out : "(nothing written)");
	st = atoi(r->out + 8);
	if (!status_allowed(op, st))
		fuzz_fail("response: status %d from %s %s%s", st,
		    param_or_empty(r, FUZZ_METHOD), ep_names[r->ep],
		    param_or_empty(r, FUZZ_PATH_INFO));
	if ((sep = strstr(r->out, "\r\n\r\n")) == NULL)
		fuzz_fail("response: the head does not end");
	head = r->out;
	hlen = (size_t)(sep - r->out) + 2;
	if (!header_is(head, hlen, "Content-Type", "application/json") ||
	    !header_is(head, hlen, "Cache-Control", "no-store") ||
	    !header_is(head, hlen, "X-Content-Type-Options", "nosniff"))
		fuzz_fail("response: a header of \"Every response\" is "
		    "missing: %.*s", (int)hlen, head);
	if (st == 405 && (allow == NULL ||
	    !header_is(head, hlen, "Allow", allow)))
		fuzz_fail("response: a 405 without Allow: %s",
		    allow != NULL ? allow : "(none due)");
	if (st != 405 && header(head, hlen, "Allow", &vlen) != NULL)
		fuzz_fail("response: Allow on a %d", st);
	v = header(head, hlen, "WWW-Authenticate", &vlen);
	if (st == 401 && is_bearer_op(op) &&
	    (v == NULL || vlen < 6 || memcmp(v, "Bearer", 6) != 0))
		fuzz_fail("response: a 401 from %s%s without WWW-Authenticate",
		    ep_names[r->ep], param_or_empty(r, FUZZ_PATH_INFO));
	if (v != NULL && (st != 401 || !is_bearer_op(op)))
		fuzz_fail("response: WWW-Authenticate on a %d from %s", st,
		    ep_names[r->ep]);
	if (st == 401 && is_bearer_op(op) && op != OP_ME)
		check_401_is_the_token(app, r);
	if (st == 429) {
		if ((v = header(head, hlen, "Retry-After", &vlen)) == NULL ||
		    vlen == 0 || vlen >= sizeof(want))
			fuzz_fail("response: a 429 without Retry-After");
		memcpy(want, v, vlen);
		want[vlen] = '\0';
		retry = strtoll(want, NULL, 10);
		if (strspn(want, "0123456789") != vlen || retry < 1 ||
		    retry > FUZZ_WINDOW)
			fuzz_fail("response: Retry-After: %s", want);
	}
	v = sep + 4;
	vlen = r->outlen - (size_t)(v - r->out);
	if (trace)	/* FUZZ_TRACE=1: what each request was answered */
		dprintf(errfd, "fuzz: %s%s %s%s: %.*s\n", ep_names[r->ep],
		    param_or_empty(r, FUZZ_PATH_INFO),
		    r->param[FUZZ_METHOD] != NULL ? r->param[FUZZ_METHOD] :
		    "(unset)", app->cf.rotate ? " (rotating)" : "",
		    (int)(r->outlen > 300 ? 300 : r->outlen), r->out);
	if (r->param[FUZZ_METHOD] != NULL &&
	    strcmp(r->param[FUZZ_METHOD], "HEAD") == 0) {
		if (vlen != 0)
			fuzz_fail("response: a body to HEAD");
	} else
		check_body(op, app->cf.rotate, st, v, vlen, retry, t);
	return st;
}

void
fuzz_req_free(struct fuzz_req *r)
{
	size_t	 i;

	for (i = 0; i < FUZZ_PARAM__MAX; i++)
		free(r->param[i]);
	free(r->body);
	free(r->out);
	memset(r, 0, sizeof(*r));
}
