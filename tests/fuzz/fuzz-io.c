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
	"register", "login", "refresh", "me",
};

/* As cgi-bin/register.c and its siblings build them. */
static const struct endpoint endpoints[FUZZ__MAX] = {
	{ "POST", 1, auth_register },		/* FUZZ_REGISTER */
	{ "POST", 1, auth_login },		/* FUZZ_LOGIN */
	{ "POST", 1, auth_refresh },		/* FUZZ_REFRESH */
	{ "GET, HEAD", 0, auth_me },		/* FUZZ_ME */
};

static const char *const param_names[FUZZ_PARAM__MAX] = {
	"REQUEST_METHOD",		/* FUZZ_METHOD */
	"CONTENT_LENGTH",		/* FUZZ_CONTENT_LENGTH */
	"HTTP_AUTHORIZATION",		/* FUZZ_AUTHORIZATION */
	"HTTP_X_FORWARDED_FOR",		/* FUZZ_FORWARDED_FOR */
	"REMOTE_ADDR",			/* FUZZ_REMOTE_ADDR */
	"HTTP_TRANSFER_ENCODING",	/* FUZZ_TRANSFER_ENCODING */
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
	    FUZZ_TOKEN_MAX) == -1)
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

/* The statuses SPEC lets each endpoint answer a client with. */
static int
status_allowed(enum fuzz_ep ep, int st)
{
	switch (st) {
	case 200:
		return ep != FUZZ_REGISTER;
	case 201:
		return ep == FUZZ_REGISTER;
	case 400:
	case 413:
	case 422:
	case 429:
		return ep != FUZZ_ME;
	case 401:
		return ep != FUZZ_REGISTER;
	case 405:
		return 1;
	default:
		/*
		 * SPEC "Every response": never a 5xx for anything a client
		 * can send.  The database is in memory: no 503 either.
		 */
		return 0;
	}
}

/* A token that a response handed out: it must verify as type, user >= 1. */
static void
check_token(const cJSON *body, const char *name, enum jwt_type type,
    char *keep)
{
	const cJSON	*c = json_member(body, name);
	struct jwt_claims claims = { 0, 0, 0 };
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

/* The JSON body of a response with status st. */
static void
check_body(const struct fuzz_req *r, int st, const char *text, size_t len,
    long long retry_after, struct fuzz_tokens *t)
{
	const cJSON	*c, *d;
	cJSON		*body;
	const char	*end = NULL;

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
		c = json_member(d, "retry_after");
		if (st == 429 && (!cJSON_IsNumber(c) ||
		    c->valuedouble != (double)retry_after))
			fuzz_fail("response: a 429 whose details.retry_after "
			    "is not its Retry-After: %s", text);
	} else if (r->ep == FUZZ_REGISTER || r->ep == FUZZ_LOGIN) {
		check_token(body, "access", JWT_ACCESS,
		    t != NULL ? t->access : NULL);
		check_token(body, "refresh", JWT_REFRESH,
		    t != NULL ? t->refresh : NULL);
	} else if (r->ep == FUZZ_REFRESH) {
		check_token(body, "access", JWT_ACCESS,
		    t != NULL ? t->access : NULL);
		if (json_member(body, "refresh") != NULL)
			fuzz_fail("response: refresh rotated the refresh "
			    "token");
	} else {
		/* GET me: the stored account passed register's own rules. */
		c = json_member(body, "id");
		if (!cJSON_IsNumber(c) || c->valuedouble < 1)
			fuzz_fail("response: me without an id: %s", text);
		c = json_member(body, "username");
		if (!cJSON_IsString(c) || !valid_username(c->valuestring))
			fuzz_fail("response: me with a username that register "
			    "should have refused: %s", text);
		c = json_member(body, "email");
		if (!cJSON_IsString(c) || !valid_email(c->valuestring))
			fuzz_fail("response: me with an email that register "
			    "should have refused: %s", text);
	}
	cJSON_Delete(body);
}

int
fuzz_serve(struct app *app, struct fuzz_req *r, struct fuzz_tokens *t)
{
	const struct endpoint *ep = &endpoints[r->ep];
	struct cgi_io	 io = { io_param, io_read, io_write, r };
	const char	*head, *v, *sep;
	char		 want[64];
	long long	 retry = 0;
	size_t		 hlen, vlen;
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
	if (!status_allowed(r->ep, st))
		fuzz_fail("response: status %d from %s", st, ep->allow);
	if ((sep = strstr(r->out, "\r\n\r\n")) == NULL)
		fuzz_fail("response: the head does not end");
	head = r->out;
	hlen = (size_t)(sep - r->out) + 2;
	if (!header_is(head, hlen, "Content-Type", "application/json") ||
	    !header_is(head, hlen, "Cache-Control", "no-store") ||
	    !header_is(head, hlen, "X-Content-Type-Options", "nosniff"))
		fuzz_fail("response: a header of \"Every response\" is "
		    "missing: %.*s", (int)hlen, head);
	if (st == 405 && !header_is(head, hlen, "Allow", ep->allow))
		fuzz_fail("response: a 405 without Allow: %s", ep->allow);
	if (st == 401 && r->ep == FUZZ_ME &&
	    ((v = header(head, hlen, "WWW-Authenticate", &vlen)) == NULL ||
	    vlen < 6 || memcmp(v, "Bearer", 6) != 0))
		fuzz_fail("response: a 401 from me without WWW-Authenticate");
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
		dprintf(errfd, "fuzz: %s %s: %.*s\n", ep_names[r->ep],
		    r->param[FUZZ_METHOD] != NULL ? r->param[FUZZ_METHOD] :
		    "(unset)", (int)(r->outlen > 300 ? 300 : r->outlen),
		    r->out);
	if (r->param[FUZZ_METHOD] != NULL &&
	    strcmp(r->param[FUZZ_METHOD], "HEAD") == 0) {
		if (vlen != 0)
			fuzz_fail("response: a body to HEAD");
	} else
		check_body(r, st, v, vlen, retry, t);
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
