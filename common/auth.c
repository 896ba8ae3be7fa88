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
#include "policy.h"
#include "pw.h"
#include "rate.h"
#include "text.h"
#include "valid.h"

#define KEY_BYTES	32	/* a generated signing key: 256 bits */
#define TOKEN_MAX	1024	/* room for a token we sign */

/* The key tokens are signed with: the configured one, else the database's. */
struct key {
	const unsigned char	*key;
	size_t			 len;
	unsigned char		 stored[CONF_SECRET_MAX];
};

/* SPEC "Configuration": no secret configured → generated once, kept. */
static int
load_key(struct db *db, const struct conf *cf, struct key *k)
{
	unsigned char	 fresh[KEY_BYTES];
	int		 rc, tries;

	if (cf->secretlen > 0) {
		k->key = cf->secret;
		k->len = cf->secretlen;
		return 0;
	}
	for (tries = 0; tries < 2; tries++) {
		k->len = sizeof(k->stored);
		if ((rc = db_secret_get(db, k->stored, &k->len)) == -1)
			return -1;
		if (rc == 1) {
			k->key = k->stored;
			return 0;
		}
		/* None yet: offer one; a concurrent first request may win. */
		if (crypto_random(fresh, sizeof(fresh)) == -1)
			return -1;
		rc = db_secret_put(db, fresh, sizeof(fresh));
		crypto_cleanse(fresh, sizeof(fresh));
		if (rc == -1)
			return -1;
	}
	fprintf(stderr, "auth: the stored signing key did not appear\n");
	return -1;
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
 * into a new body {"access"[, "refresh"]}.  Returns status on success,
 * else 500 (logged).
 */
static int
tokens(struct db *db, const struct conf *cf, long long id, long long now,
    int pair, int status, cJSON **out)
{
	struct key	 k;
	char		 access[TOKEN_MAX], refresh[TOKEN_MAX];
	int		 st = 500;

	memset(&k, 0, sizeof(k));
	if (load_key(db, cf, &k) == -1) {
		st = 503;
		goto out;
	}
	if (jwt_sign(k.key, k.len, JWT_ACCESS, id, now, cf->access_ttl,
	    access, sizeof(access)) == -1 || (pair &&
	    jwt_sign(k.key, k.len, JWT_REFRESH, id, now, cf->refresh_ttl,
	    refresh, sizeof(refresh)) == -1))
		goto out;
	if ((*out = cJSON_CreateObject()) == NULL ||
	    cJSON_AddStringToObject(*out, "access", access) == NULL ||
	    (pair && cJSON_AddStringToObject(*out, "refresh", refresh) == NULL)) {
		cJSON_Delete(*out);
		*out = NULL;
		goto out;
	}
	st = status;
out:
	key_free(&k);
	return st;
}

/*
 * Verify a token of type and find its user, who must exist and be active.
 * Returns 200 with u filled, 401 for any refusal, 503 on storage failure.
 */
static int
token_user(struct db *db, const struct conf *cf, const char *token,
    enum jwt_type type, long long now, struct user *u)
{
	struct key	 k;
	long long	 id;
	int		 st = 401, found;

	memset(&k, 0, sizeof(k));
	memset(u, 0, sizeof(*u));
	if (load_key(db, cf, &k) == -1)
		st = 503;
	else if (jwt_verify(token, strlen(token), k.key, k.len, type, now,
	    &id) == JWT_OK) {
		found = db_user_by_id(db, id, u);
		if (found == -1)
			st = 503;
		else if (found == 1 && u->is_active)
			st = 200;
	}
	key_free(&k);
	return st;
}

int
auth_register(struct req *rq, const struct conf *cf, const cJSON *in,
    cJSON **out)
{
	static const struct field fields[] = {
		{ "username", 3, 150 },
		{ "email", 3, 254 },
		{ "password", 8, 128 },
	};
	const char	*v[3], *msg;
	struct db	*db = NULL;
	struct user	 u, other;
	char		*username = NULL, *email = NULL;
	char		*ukey = NULL, *ekey = NULL;
	char		 hash[PW_HASH_MAX];
	long long	 now = time(NULL), id;
	size_t		 start, len;
	int		 st, found;

	memset(&u, 0, sizeof(u));
	if ((st = valid_body(in, fields, 3, v, out)) != 200)
		return st;
	if ((db = db_open(cf->db_path)) == NULL)
		return 503;
	if ((st = rate_hit(db, cf, RATE_REGISTER, rq, now, out)) != 200)
		goto out;

	/* 2: stored forms, and the keys under which they are unique. */
	len = text_strip(v[0], &start);
	username = text_nfkc(v[0] + start, len);
	len = text_strip(v[1], &start);
	email = text_lower(v[1] + start, len);
	st = 500;
	if (username == NULL || email == NULL ||
	    (ukey = text_fold(username, strlen(username))) == NULL ||
	    (ekey = text_fold(email, strlen(email))) == NULL) {
		fprintf(stderr, "register: out of memory\n");
		goto out;
	}
	if (!valid_email(email)) {			/* 3 */
		st = fail(400, "Provide a valid email address.", out);
		goto out;
	}
	if (!valid_username(username)) {		/* 4 */
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
	if ((msg = policy_check(v[2], username, email,		/* 7 */
	    cf->min_entropy)) != NULL) {
		st = fail(400, msg, out);
		goto out;
	}
	/* 8: the slow hash outside any transaction, then one INSERT. */
	if (pw_hash(v[2], strlen(v[2]), cf->iterations, hash) == -1)
		goto out;
	u.username = username;
	u.email = email;
	u.password = hash;
	switch (db_user_add(db, &u, ukey, ekey, now, &id)) {
	case 0:
		st = tokens(db, cf, id, now, 1, 201, out);
		break;
	case DB_TAKEN_USERNAME:
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
	crypto_cleanse(hash, sizeof(hash));
	free(username);
	free(email);
	free(ukey);
	free(ekey);
	db_close(db);
	return st;
}

int
auth_login(struct req *rq, const struct conf *cf, const cJSON *in,
    cJSON **out)
{
	static const struct field fields[] = {
		{ "username", 1, 254 },
		{ "password", 1, 128 },
	};
	const char	*v[2];
	struct db	*db = NULL;
	struct user	 u;
	char		*key = NULL;
	char		 hash[PW_HASH_MAX];
	enum pw_verdict	 verdict = PW_MISMATCH;
	unsigned long	 iterations;
	long long	 now = time(NULL);
	size_t		 start, len;
	int		 st, found;

	memset(&u, 0, sizeof(u));
	hash[0] = '\0';
	if ((st = valid_body(in, fields, 2, v, out)) != 200)
		return st;
	if ((db = db_open(cf->db_path)) == NULL)
		return 503;
	if ((st = rate_hit(db, cf, RATE_LOGIN, rq, now, out)) != 200)
		goto out;
	len = text_strip(v[0], &start);
	if ((key = text_fold(v[0] + start, len)) == NULL) {
		st = 500;
		goto out;
	}
	/* With an "@" it is an email address, else a username. */
	if ((found = db_user_by_key(db, strchr(key, '@') != NULL, key,
	    &u)) == -1) {
		st = 503;
		goto out;
	}
	/* Unknown users cost one hash too, so timing does not tell. */
	if (found == 1)
		verdict = pw_verify(v[1], strlen(v[1]), u.password, &iterations);
	if (found == 0 || verdict == PW_UNUSABLE)
		pw_waste(v[1], strlen(v[1]), cf->iterations);
	if (found == 0 || verdict != PW_OK || !u.is_active) {
		st = fail(401, "Invalid credentials.", out);
		goto out;
	}
	/* A hash weaker than configured is replaced while we know the password. */
	if (iterations < cf->iterations &&
	    pw_hash(v[1], strlen(v[1]), cf->iterations, hash) == -1) {
		st = 500;
		goto out;
	}
	if (db_user_login(db, u.id, now, hash[0] != '\0' ? hash : NULL) == -1) {
		st = 503;
		goto out;
	}
	st = tokens(db, cf, u.id, now, 1, 200, out);
out:
	crypto_cleanse(hash, sizeof(hash));
	free(key);
	db_user_free(&u);
	db_close(db);
	return st;
}

int
auth_refresh(struct req *rq, const struct conf *cf, const cJSON *in,
    cJSON **out)
{
	static const struct field fields[] = {
		{ "refresh", 20, 0 },
	};
	const char	*v[1];
	struct db	*db = NULL;
	struct user	 u;
	long long	 now = time(NULL);
	int		 st;

	memset(&u, 0, sizeof(u));
	if ((st = valid_body(in, fields, 1, v, out)) != 200)
		return st;
	if ((db = db_open(cf->db_path)) == NULL)
		return 503;
	if ((st = rate_hit(db, cf, RATE_REFRESH, rq, now, out)) != 200)
		goto out;
	st = token_user(db, cf, v[0], JWT_REFRESH, now, &u);
	if (st == 401)
		st = fail(401, "Invalid or expired refresh token.", out);
	else if (st == 200)	/* a new access token; refresh not rotated */
		st = tokens(db, cf, u.id, now, 0, 200, out);
out:
	db_user_free(&u);
	db_close(db);
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
auth_me(struct req *rq, const struct conf *cf, cJSON **out)
{
	const char	*token;
	struct db	*db = NULL;
	struct user	 u;
	int		 st = 401;

	memset(&u, 0, sizeof(u));
	rq->is_bearer = 1;	/* every 401 here carries WWW-Authenticate */
	if ((token = bearer(rq)) == NULL)
		return 401;
	if ((db = db_open(cf->db_path)) == NULL)
		return 503;
	if ((st = token_user(db, cf, token, JWT_ACCESS, time(NULL), &u)) != 200)
		goto out;
	if ((*out = cJSON_CreateObject()) == NULL ||
	    cJSON_AddNumberToObject(*out, "id", (double)u.id) == NULL ||
	    cJSON_AddStringToObject(*out, "username", u.username) == NULL ||
	    cJSON_AddStringToObject(*out, "email", u.email) == NULL) {
		fprintf(stderr, "me: out of memory\n");
		st = 500;
	}
out:
	db_user_free(&u);
	db_close(db);
	return st;
}
