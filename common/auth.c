/*
 * What each endpoint does, as SPEC says it, one function per endpoint.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <cJSON.h>

#include "auth.h"
#include "cgi.h"
#include "crypto.h"
#include "db.h"
#include "jwt.h"
#include "key.h"
#include "names.h"
#include "policy.h"
#include "pw.h"
#include "rate.h"
#include "slot.h"
#include "text.h"
#include "valid.h"

#define TOKEN_MAX	1024	/* room for a token we sign */

/* A 400 or 401 body: {"message": msg, "details": null}. */
static int
fail(int status, const char *msg, cJSON **out)
{
	if ((*out = cgi_message(msg)) == NULL)
		return 500;
	return status;
}

/*
 * Sign the token pair (or only the access token when pair is 0) for id
 * under k into a new body {"access"[, "refresh"]}.  Returns status, or 500
 * (logged) if signing failed.
 */
static int
tokens(const struct key *k, const struct conf *cf, long long id,
    long long now, int pair, int status, cJSON **out)
{
	char		 access[TOKEN_MAX], refresh[TOKEN_MAX];

	if (jwt_sign(k->key, k->len, JWT_ACCESS, id, now, cf->access_ttl,
	    access, sizeof(access)) == -1 || (pair &&
	    jwt_sign(k->key, k->len, JWT_REFRESH, id, now, cf->refresh_ttl,
	    refresh, sizeof(refresh)) == -1))
		return 500;
	if ((*out = cJSON_CreateObject()) == NULL ||
	    cJSON_AddStringToObject(*out, "access", access) == NULL ||
	    (pair && cJSON_AddStringToObject(*out, "refresh", refresh) == NULL)) {
		fprintf(stderr, "auth: tokens: out of memory\n");
		cJSON_Delete(*out);
		*out = NULL;
		return 500;
	}
	return status;
}

/*
 * Verify a token of type under k and find its user, who must exist, be
 * active, and not have had the token revoked.  Returns 200 with u filled,
 * 401 for any refusal, 503 on storage failure.  The caller frees u.
 */
static int
token_user(struct db *db, const struct key *k, const char *token,
    enum jwt_type type, long long now, struct user *u)
{
	struct jwt_claims c;
	enum jwt_verdict v;
	int		 found;

	memset(u, 0, sizeof(*u));
	if (key_verify(db, k, token, type, now, &c, &v) != 200)
		return 503;
	if (v != JWT_OK)
		return 401;
	if ((found = db_user_by_id(db, c.user_id, u)) == -1)
		return 503;
	if (found == 0 || !u->is_active)
		return 401;
	/*
	 * Revoked by authctl (revoke, or a new password): every token issued
	 * at or before that second, and one that does not say when it was.
	 */
	if (u->tokens_valid_after > 0 &&
	    (!c.has_iat || c.iat <= (double)u->tokens_valid_after))
		return 401;
	return 200;
}

#define MSG_EMAIL	"Provide a valid email address."
#define MSG_USERNAME	"Enter a valid username. This value may contain " \
			"only letters, numbers, and @/./+/-/_ characters."
#define MSG_UTAKEN	"Username already exists."
#define MSG_ETAKEN	"Email already exists."

/*
 * SPEC "POST register" 2-8 for account a, whose lengths have passed: with
 * k, the signing key is loaded first, so that no account is created that
 * could not be given its tokens.  Returns AUTH_DONE with *id set,
 * AUTH_REFUSED with *why (register's 400 message), or AUTH_UNAVAILABLE /
 * AUTH_FAILED (storage, or anything else; logged).
 */
static enum auth_verdict
create_user(struct db *db, const struct conf *cf, const struct account *a,
    long long now, struct key *k, long long *id, const char **why)
{
	struct slot	 slot = { -1 };
	struct user	 u, other;
	enum auth_verdict v = AUTH_FAILED;
	enum db_taken	 taken;
	char		*username = NULL, *email = NULL;
	char		*ukey = NULL, *ekey = NULL;
	char		 hash[PW_HASH_MAX];
	int		 found, st;

	memset(&u, 0, sizeof(u));
	memset(hash, 0, sizeof(hash));
	/* 2: the stored forms, and the keys under which they are unique. */
	if ((username = names_stored(NAMES_USERNAME, a->username)) == NULL ||
	    (email = names_stored(NAMES_EMAIL, a->email)) == NULL ||
	    (ukey = names_key(NAMES_USERNAME, username)) == NULL ||
	    (ekey = names_key(NAMES_EMAIL, email)) == NULL) {
		fprintf(stderr, "register: out of memory\n");
		goto out;
	}
	v = AUTH_REFUSED;
	if (!valid_email(email)) {					/* 3 */
		*why = MSG_EMAIL;
		goto out;
	}
	/* 4: an empty key is a name of invisible characters only. */
	if (!valid_username(username) || *ukey == '\0') {
		*why = MSG_USERNAME;
		goto out;
	}
	if ((found = db_user_by_key(db, 0, ukey, &other)) != 0) {	/* 5 */
		db_user_free(&other);
		*why = MSG_UTAKEN;
		v = found == 1 ? AUTH_REFUSED : AUTH_UNAVAILABLE;
		goto out;
	}
	if ((found = db_user_by_key(db, 1, ekey, &other)) != 0) {	/* 6 */
		db_user_free(&other);
		*why = MSG_ETAKEN;
		v = found == 1 ? AUTH_REFUSED : AUTH_UNAVAILABLE;
		goto out;
	}
	v = AUTH_FAILED;
	if (policy_ready() == -1)	/* libzxcvbn missing: logged */
		goto out;
	if ((*why = policy_check(a->password, username, email,		/* 7 */
	    cf->min_entropy)) != NULL) {
		v = AUTH_REFUSED;
		goto out;
	}
	/* 8: the slow hash outside any transaction; then one INSERT. */
	if ((k != NULL && (st = key_load(db, cf, k)) != 200) ||
	    (st = slot_take(cf, &slot)) != 200) {
		v = st == 503 ? AUTH_UNAVAILABLE : AUTH_FAILED;
		goto out;
	}
	if (pw_hash(a->password, strlen(a->password), cf->iterations,
	    hash) == -1)
		goto out;
	slot_give(&slot);
	u.username = username;
	u.email = email;
	u.password = hash;
	if (db_user_add(db, &u, ukey, ekey, now, id, &taken) == -1)
		v = AUTH_UNAVAILABLE;
	else if (taken == DB_FREE)
		v = AUTH_DONE;
	else {		/* a concurrent registration won */
		*why = taken == DB_TAKEN_USERNAME ? MSG_UTAKEN : MSG_ETAKEN;
		v = AUTH_REFUSED;
	}
out:
	slot_give(&slot);
	crypto_cleanse(hash, sizeof(hash));
	free(username);
	free(email);
	free(ukey);
	free(ekey);
	return v;
}

/* The schema of POST register's body (SPEC "POST register"). */
static const struct field register_fields[] = {
	{ "username", 3, 150 },
	{ "email", 3, 254 },
	{ "password", 8, 128 },
};
static const struct field password_field = { "password", 8, 128 };

/* An auth_verdict as the endpoint's status: 400 with why's body, 503, 500. */
static int
status_of(enum auth_verdict v, const char *why, cJSON **out)
{
	switch (v) {
	case AUTH_REFUSED:
		return fail(400, why, out);
	case AUTH_UNAVAILABLE:
		return 503;
	default:
		return 500;
	}
}

int
auth_register(struct req *rq, struct app *app, const cJSON *in, cJSON **out)
{
	const char	*v[3], *why = NULL;
	struct account	 a;
	struct db	*db;
	struct key	 k;
	enum auth_verdict verdict;
	long long	 now = time(NULL), id;
	int		 st;

	memset(&k, 0, sizeof(k));
	if ((st = valid_body(in, register_fields, 3, v, out)) != 200)
		return st;
	if ((db = app_db(app)) == NULL)
		return 503;
	if ((st = rate_hit(db, &app->cf, RATE_REGISTER, rq, now, out)) != 200)
		return st;
	a.username = v[0];
	a.email = v[1];
	a.password = v[2];
	verdict = create_user(db, &app->cf, &a, now, &k, &id, &why);
	st = verdict == AUTH_DONE ? tokens(&k, &app->cf, id, now, 1, 201, out) :
	    status_of(verdict, why, out);
	key_free(&k);
	return st;
}

/*
 * The fields of f (n of them) with their values vals against their
 * lengths, as valid_body would judge a body: each failing one a line
 * "name: message" in why (whysz bytes).  Returns 0 if all pass, else -1.
 */
static int
lengths(const struct field *f, const char *const *vals, size_t n,
    char *why, size_t whysz)
{
	char	 msg[128];
	size_t	 i, used = 0;
	int	 w;

	why[0] = '\0';
	for (i = 0; i < n; i++) {
		if (valid_string(vals[i], &f[i], msg, sizeof(msg)) == 0)
			continue;
		w = snprintf(why + used, whysz - used, "%s%s: %s",
		    used > 0 ? "\n" : "", f[i].name, msg);
		if (w > 0 && (size_t)w < whysz - used)
			used += (size_t)w;
	}
	return used > 0 ? -1 : 0;
}

enum auth_verdict
auth_add_user(struct app *app, const struct account *a, long long *id,
    char why[AUTH_WHY_MAX])
{
	const char	*vals[3] = { a->username, a->email, a->password };
	const char	*msg = NULL;
	struct db	*db;
	enum auth_verdict v;

	if (lengths(register_fields, vals, 3, why, AUTH_WHY_MAX) == -1)
		return AUTH_REFUSED;
	if ((db = app_db(app)) == NULL)
		return AUTH_UNAVAILABLE;
	v = create_user(db, &app->cf, a, time(NULL), NULL, id, &msg);
	snprintf(why, AUTH_WHY_MAX, "%s", msg != NULL ? msg : "");
	return v;
}

enum auth_verdict
auth_set_password(struct app *app, const struct user *u, const char *password,
    long long *revoked, char why[AUTH_WHY_MAX])
{
	const char	*msg;
	struct db	*db;
	enum auth_verdict v;
	char		 hash[PW_HASH_MAX];
	int		 rc;

	if (lengths(&password_field, &password, 1, why, AUTH_WHY_MAX) == -1)
		return AUTH_REFUSED;
	if ((db = app_db(app)) == NULL)
		return AUTH_UNAVAILABLE;
	if (policy_ready() == -1)
		return AUTH_FAILED;
	if ((msg = policy_check(password, u->username, u->email,
	    app->cf.min_entropy)) != NULL) {
		snprintf(why, AUTH_WHY_MAX, "%s", msg);
		return AUTH_REFUSED;
	}
	if (pw_hash(password, strlen(password), app->cf.iterations, hash) == -1)
		return AUTH_FAILED;
	/*
	 * Revoking up to the current second: authctl then waits for the next
	 * one, so that tokens issued after it returns are not caught.
	 */
	rc = db_user_password(db, u->id, hash, revoked);
	crypto_cleanse(hash, sizeof(hash));
	v = rc == 1 ? AUTH_DONE : rc == 0 ? AUTH_REFUSED : AUTH_UNAVAILABLE;
	if (rc == 0)
		snprintf(why, AUTH_WHY_MAX, "no such user");
	return v;
}

int
auth_login(struct req *rq, struct app *app, const cJSON *in, cJSON **out)
{
	const struct conf *cf = &app->cf;
	static const struct field fields[] = {
		{ "username", 1, 254 },
		{ "password", 1, 128 },
	};
	const char	*v[2];
	struct db	*db = NULL;
	struct key	 k;
	struct slot	 slot = { -1 };
	struct user	 u;
	char		 hash[PW_HASH_MAX];
	enum pw_verdict	 verdict = PW_MISMATCH;
	unsigned long	 iterations = 0;
	long long	 now = time(NULL);
	size_t		 start, len;
	int		 st, found, is_email;

	memset(&u, 0, sizeof(u));
	memset(&k, 0, sizeof(k));
	memset(hash, 0, sizeof(hash));
	if ((st = valid_body(in, fields, 2, v, out)) != 200)
		return st;
	if ((db = app_db(app)) == NULL)
		return 503;
	if ((st = rate_hit(db, cf, RATE_LOGIN, rq, now, out)) != 200)
		goto out;
	/* With an "@" it is an email address, else a username. */
	len = text_strip(v[0], &start);
	is_email = memchr(v[0] + start, '@', len) != NULL;
	if ((found = auth_find_user(db, v[0], is_email, &u)) < 0) {
		st = found == -1 ? 503 : 500;
		goto out;
	}
	/* Unknown users cost one hash too, so timing does not tell. */
	if ((st = slot_take(cf, &slot)) != 200)
		goto out;
	if (found == 1)
		verdict = pw_verify(v[1], strlen(v[1]), u.password, &iterations);
	if (found == 0 || verdict == PW_UNUSABLE)
		pw_waste(v[1], strlen(v[1]), cf->iterations);
	else if ((verdict != PW_OK || !u.is_active) &&
	    iterations < cf->iterations)
		/*
		 * A cheaper hash (imported, or from before a raise of the
		 * cost) is topped up to what an unknown user costs, so that
		 * a refusal does not tell which accounts exist.
		 */
		pw_waste(v[1], strlen(v[1]), cf->iterations - iterations);
	if (found == 0 || verdict != PW_OK || !u.is_active) {
		st = fail(401, "Invalid credentials.", out);
		goto out;
	}
	if ((st = key_load(db, cf, &k)) != 200)
		goto out;
	/*
	 * A hash of another cost than configured is replaced while we know
	 * the password (Django's must_update): a cheaper one is weak, and a
	 * costlier one makes this account's refusals slower than an unknown
	 * name's dummy hash, which tells that it exists.
	 */
	if (iterations != cf->iterations &&
	    pw_hash(v[1], strlen(v[1]), cf->iterations, hash) == -1) {
		st = 500;
		goto out;
	}
	slot_give(&slot);
	if (db_user_login(db, u.id, now, hash[0] != '\0' ? hash : NULL) == -1) {
		st = 503;
		goto out;
	}
	st = tokens(&k, cf, u.id, now, 1, 200, out);
out:
	slot_give(&slot);
	crypto_cleanse(hash, sizeof(hash));
	key_free(&k);
	db_user_free(&u);
	return st;
}

int
auth_find_user(struct db *db, const char *name, int by_email, struct user *u)
{
	char		*key;
	int		 found = 0;

	memset(u, 0, sizeof(*u));
	if ((key = names_key(by_email ? NAMES_EMAIL : NAMES_USERNAME,
	    name)) == NULL) {
		fprintf(stderr, "auth: a name that is not UTF-8, or no memory\n");
		return -2;
	}
	/* An empty key (a name of invisible characters) matches nobody. */
	if (*key != '\0')
		found = db_user_by_key(db, by_email, key, u);
	free(key);
	return found;
}

int
auth_refresh(struct req *rq, struct app *app, const cJSON *in, cJSON **out)
{
	const struct conf *cf = &app->cf;
	static const struct field fields[] = {
		{ "refresh", 20, 0 },
	};
	const char	*v[1];
	struct db	*db = NULL;
	struct key	 k;
	struct user	 u;
	long long	 now = time(NULL);
	int		 st;

	memset(&u, 0, sizeof(u));
	memset(&k, 0, sizeof(k));
	if ((st = valid_body(in, fields, 1, v, out)) != 200)
		return st;
	if ((db = app_db(app)) == NULL)
		return 503;
	if ((st = rate_hit(db, cf, RATE_REFRESH, rq, now, out)) != 200 ||
	    (st = key_load(db, cf, &k)) != 200)
		goto out;
	st = token_user(db, &k, v[0], JWT_REFRESH, now, &u);
	if (st == 401)
		st = fail(401, "Invalid or expired refresh token.", out);
	else if (st == 200)	/* a new access token; refresh not rotated */
		st = tokens(&k, cf, u.id, now, 0, 200, out);
out:
	key_free(&k);
	db_user_free(&u);
	return st;
}

/*
 * The token of "Authorization: Bearer <token>": the scheme word in any
 * case, one space, one token with no space in it.  NULL if there is none.
 */
static const char *
bearer(struct req *rq)
{
	const char	*h = rq->authorization;

	if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0 || h[7] == '\0')
		return NULL;
	rq->token_sent = 1;	/* the 401 then says error="invalid_token" */
	if (strchr(h + 7, ' ') != NULL)
		return NULL;
	return h + 7;
}

int
auth_me(struct req *rq, struct app *app, const cJSON *in, cJSON **out)
{
	const struct conf *cf = &app->cf;
	const char	*token;
	struct db	*db = NULL;
	struct key	 k;
	struct user	 u;
	int		 st = 401;

	memset(&u, 0, sizeof(u));
	memset(&k, 0, sizeof(k));
	(void)in;	/* GET: no body */
	rq->is_bearer = 1;	/* every 401 here carries WWW-Authenticate */
	if ((token = bearer(rq)) == NULL)
		return 401;
	if ((db = app_db(app)) == NULL)
		return 503;
	if ((st = key_load(db, cf, &k)) != 200 ||
	    (st = token_user(db, &k, token, JWT_ACCESS, time(NULL), &u)) != 200)
		goto out;
	if ((*out = cJSON_CreateObject()) == NULL ||
	    cJSON_AddNumberToObject(*out, "id", (double)u.id) == NULL ||
	    cJSON_AddStringToObject(*out, "username", u.username) == NULL ||
	    cJSON_AddStringToObject(*out, "email", u.email) == NULL) {
		fprintf(stderr, "me: out of memory\n");
		cJSON_Delete(*out);
		*out = NULL;
		st = 500;
	}
out:
	key_free(&k);
	db_user_free(&u);
	return st;
}
