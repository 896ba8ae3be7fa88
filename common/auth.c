/*
 * What each endpoint does, as SPEC.md says it, one function per endpoint.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <cJSON.h>

#include "auth.h"
#include "crypto.h"
#include "db.h"
#include "jwt.h"
#include "names.h"
#include "policy.h"
#include "pw.h"
#include "rate.h"
#include "slot.h"
#include "text.h"
#include "valid.h"

#define TOKEN_MAX	1024	/* room for a token we sign */

/* The key tokens are signed with: the configured one, else the database's. */
struct key {
	const unsigned char	*key;
	size_t			 len;
	unsigned char		 stored[CONF_SECRET_MAX];
};

/*
 * SPEC "Configuration": with no secret configured, one is generated on
 * first use and kept in the database.  Returns 200, 503 when storage
 * fails, or 500 when no random bytes could be had.
 */
static int
load_key(struct db *db, const struct conf *cf, struct key *k)
{
	unsigned char	 fresh[AUTH_KEY_BYTES];
	int		 rc, tries;

	memset(k, 0, sizeof(*k));
	if (cf->secretlen > 0) {
		k->key = cf->secret;
		k->len = cf->secretlen;
		return 200;
	}
	for (tries = 0; tries < 2; tries++) {
		k->len = sizeof(k->stored);
		if ((rc = db_secret_get(db, k->stored, &k->len)) == -1)
			return 503;
		if (rc == 1) {
			k->key = k->stored;
			return 200;
		}
		/* None yet: offer one; a concurrent first request may win. */
		if (crypto_random(fresh, sizeof(fresh)) == -1)
			return 500;
		rc = db_secret_put(db, fresh, sizeof(fresh));
		crypto_cleanse(fresh, sizeof(fresh));
		if (rc == -1)
			return 503;
	}
	fprintf(stderr, "auth: the stored signing key did not appear\n");
	return 503;
}

static void
key_free(struct key *k)
{
	crypto_cleanse(k->stored, sizeof(k->stored));
}

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
 * Verify token under the signing key that authctl secret rotate --grace
 * replaced, while its grace lasts: sets *v.  Returns 200, or 503.
 */
static int
verify_previous(struct db *db, const char *token, enum jwt_type type,
    long long now, struct jwt_claims *c, enum jwt_verdict *v)
{
	unsigned char	 key[CONF_SECRET_MAX];
	size_t		 len = sizeof(key);
	long long	 until = 0;
	int		 found;

	if ((found = db_secret_previous(db, key, &len, &until)) == -1)
		return 503;
	if (found == 1 && now < until)
		*v = jwt_verify(token, strlen(token), key, len, type, now, c);
	crypto_cleanse(key, sizeof(key));
	return 200;
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
	v = jwt_verify(token, strlen(token), k->key, k->len, type, now, &c);
	if (v == JWT_BAD_SIG && k->key == k->stored &&
	    verify_previous(db, token, type, now, &c, &v) != 200)
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

/*
 * SPEC "POST register" 2-8 for the values v of the checked body: with k,
 * signing the tokens of the new user into *out (201); without (authctl
 * user add), only creating it (201, *out NULL).  *id is set on 201.
 */
static int
create_user(struct db *db, const struct conf *cf, const char *const v[3],
    long long now, struct key *k, long long *id, cJSON **out)
{
	struct slot	 slot = { -1 };
	struct user	 u, other;
	char		*username = NULL, *email = NULL;
	char		*ukey = NULL, *ekey = NULL;
	char		 hash[PW_HASH_MAX];
	const char	*msg;
	int		 st = 500, found;

	memset(&u, 0, sizeof(u));
	memset(hash, 0, sizeof(hash));
	/* 2: the stored forms, and the keys under which they are unique. */
	if ((username = names_stored(NAMES_USERNAME, v[0])) == NULL ||
	    (email = names_stored(NAMES_EMAIL, v[1])) == NULL ||
	    (ukey = names_key(NAMES_USERNAME, username)) == NULL ||
	    (ekey = names_key(NAMES_EMAIL, email)) == NULL) {
		fprintf(stderr, "register: out of memory\n");
		goto out;
	}
	if (!valid_email(email)) {					/* 3 */
		st = fail(400, "Provide a valid email address.", out);
		goto out;
	}
	/* 4: an empty key is a name of invisible characters only. */
	if (!valid_username(username) || *ukey == '\0') {
		st = fail(400, "Enter a valid username. This value may "
		    "contain only letters, numbers, and @/./+/-/_ characters.",
		    out);
		goto out;
	}
	if ((found = db_user_by_key(db, 0, ukey, &other)) != 0) {	/* 5 */
		db_user_free(&other);
		st = found == 1 ? fail(400, "Username already exists.", out) :
		    503;
		goto out;
	}
	if ((found = db_user_by_key(db, 1, ekey, &other)) != 0) {	/* 6 */
		db_user_free(&other);
		st = found == 1 ? fail(400, "Email already exists.", out) : 503;
		goto out;
	}
	if (policy_ready() == -1)	/* libzxcvbn missing: logged */
		goto out;
	if ((msg = policy_check(v[2], username, email,			/* 7 */
	    cf->min_entropy)) != NULL) {
		st = fail(400, msg, out);
		goto out;
	}
	/*
	 * 8: the key first, so no account is created that could not be given
	 * its tokens; the slow hash outside any transaction; then one INSERT.
	 */
	if ((k != NULL && (st = load_key(db, cf, k)) != 200) ||
	    (st = slot_take(cf, &slot)) != 200)
		goto out;
	st = 500;
	if (pw_hash(v[2], strlen(v[2]), cf->iterations, hash) == -1)
		goto out;
	slot_give(&slot);
	u.username = username;
	u.email = email;
	u.password = hash;
	switch (db_user_add(db, &u, ukey, ekey, now, id)) {
	case 0:
		st = k != NULL ? tokens(k, cf, *id, now, 1, 201, out) : 201;
		break;
	case DB_TAKEN_USERNAME:	/* a concurrent registration won */
		st = fail(400, "Username already exists.", out);
		break;
	case DB_TAKEN_EMAIL:
		st = fail(400, "Email already exists.", out);
		break;
	default:
		st = 503;
		break;
	}
out:
	slot_give(&slot);
	crypto_cleanse(hash, sizeof(hash));
	free(username);
	free(email);
	free(ukey);
	free(ekey);
	return st;
}

/* The schema of POST register's body (SPEC "POST register"). */
static const struct field register_fields[] = {
	{ "username", 3, 150 },
	{ "email", 3, 254 },
	{ "password", 8, 128 },
};

int
auth_register(struct req *rq, struct app *app, const cJSON *in, cJSON **out)
{
	const char	*v[3];
	struct db	*db;
	struct key	 k;
	long long	 now = time(NULL), id;
	int		 st;

	memset(&k, 0, sizeof(k));
	if ((st = valid_body(in, register_fields, 3, v, out)) != 200)
		return st;
	if ((db = app_db(app)) == NULL)
		return 503;
	if ((st = rate_hit(db, &app->cf, RATE_REGISTER, rq, now, out)) == 200)
		st = create_user(db, &app->cf, v, now, &k, &id, out);
	key_free(&k);
	return st;
}

int
auth_add_user(struct app *app, const cJSON *in, long long *id, cJSON **out)
{
	const char	*v[3];
	struct db	*db;
	int		 st;

	if ((st = valid_body(in, register_fields, 3, v, out)) != 200)
		return st;
	if ((db = app_db(app)) == NULL)
		return 503;
	return create_user(db, &app->cf, v, time(NULL), NULL, id, out);
}

int
auth_set_password(struct app *app, const struct user *u, const cJSON *in,
    long long *revoked, cJSON **out)
{
	static const struct field fields[] = {
		{ "password", 8, 128 },
	};
	const char	*v[1], *msg;
	struct db	*db;
	char		 hash[PW_HASH_MAX];
	int		 st;

	if ((st = valid_body(in, fields, 1, v, out)) != 200)
		return st;
	if ((db = app_db(app)) == NULL)
		return 503;
	if (policy_ready() == -1)
		return 500;
	if ((msg = policy_check(v[0], u->username, u->email,
	    app->cf.min_entropy)) != NULL)
		return fail(400, msg, out);
	if (pw_hash(v[0], strlen(v[0]), app->cf.iterations, hash) == -1)
		return 500;
	/*
	 * Revoking up to the current second: authctl then waits for the next
	 * one, so that tokens issued after it returns are not caught.
	 */
	switch (db_user_password(db, u->id, hash, revoked)) {
	case 1:
		st = 200;
		break;
	case 0:
		st = fail(404, "No such user.", out);
		break;
	default:
		st = 503;
		break;
	}
	crypto_cleanse(hash, sizeof(hash));
	return st;
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
	if ((st = load_key(db, cf, &k)) != 200)
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
	    (st = load_key(db, cf, &k)) != 200)
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
	if ((st = load_key(db, cf, &k)) != 200 ||
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
