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
#include "json.h"
#include "jwt.h"
#include "key.h"
#include "names.h"
#include "policy.h"
#include "pw.h"
#include "rate.h"
#include "session.h"
#include "slot.h"
#include "text.h"
#include "valid.h"

#define TOKEN_MAX	1024	/* room for a token we sign */

#define MSG_REFRESH	"Invalid or expired refresh token."

/*
 * A new body holding the tokens for user id at now (session_issue): 200,
 * or the failure's status with *out NULL.
 */
static int
tokens(struct db *db, const struct key *k, const struct conf *cf,
    long long id, long long now, int pair, int fresh, cJSON **out)
{
	int	 st;

	if ((*out = cJSON_CreateObject()) == NULL) {
		fprintf(stderr, "auth: tokens: out of memory\n");
		return 500;
	}
	if ((st = session_issue(db, k, cf, id, now, pair, fresh, *out)) != 200) {
		cJSON_Delete(*out);
		*out = NULL;
	}
	return st;
}

/*
 * The second to sign u's new tokens with, the request's now as a rule.
 * Up to the second of u's revocation, which the storage's clock chose
 * (db_now: with PostgreSQL the server's, not this host's), that clock's,
 * so that a host behind it does not sign tokens the revocation already
 * reaches, and the pair is fresh exactly in that second.  -1 (logged) if
 * the clock cannot be read.
 */
static long long
sign_second(struct db *db, const struct user *u, long long now)
{
	return now > u->tokens_valid_after ? now : db_now(db);
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
    long long now, const char *client, struct key *k, long long *id,
    const char **why)
{
	struct slot	 slot = { -1 };
	struct user	 u, other;
	enum auth_verdict v = AUTH_FAILED;
	enum db_taken	 taken = DB_FREE;
	char		*username = NULL, *email = NULL;
	char		*ukey = NULL, *ekey = NULL;
	char		 hash[PW_HASH_MAX];
	int		 found, st, rc;

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
	/* The account and its "register" event, in one transaction. */
	if (db_begin(db) == -1) {
		v = AUTH_UNAVAILABLE;
		goto out;
	}
	if ((rc = db_user_add(db, &u, ukey, ekey, now, id, &taken)) == 0 &&
	    taken == DB_FREE)
		rc = db_event(db, now, "register", *id, client,
		    client == NULL ? "authctl user add" : NULL);
	if (db_end(db, rc != 0 || taken != DB_FREE) == -1)
		rc = -1;
	if (rc == -1)
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
	{ "username", 3, 150, FIELD_STRING },
	{ "email", 3, 254, FIELD_STRING },
	{ "password", 8, 128, FIELD_STRING },
};
static const struct field password_field = { "password", 8, 128, FIELD_STRING };

/* An auth_verdict as the endpoint's status: 400 with why's body, 503, 500. */
static int
status_of(enum auth_verdict v, const char *why, cJSON **out)
{
	switch (v) {
	case AUTH_REFUSED:
		return cgi_error(400, why, out);
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
	char		 client[CLIENT_KEY_MAX];
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
	rate_client(&app->cf, rq, client);
	verdict = create_user(db, &app->cf, &a, now, client, &k, &id, &why);
	if (verdict == AUTH_DONE &&
	    (st = tokens(db, &k, &app->cf, id, now, 1, 0, out)) == 200)
		st = 201;
	else if (verdict != AUTH_DONE)
		st = status_of(verdict, why, out);
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
	v = create_user(db, &app->cf, a, time(NULL), NULL, NULL, id, &msg);
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
	if (db_begin(db) == -1)
		rc = -1;
	else {
		if ((rc = db_user_password(db, u->id, hash, revoked)) == 1 &&
		    db_event(db, *revoked, "passwd", u->id, NULL, NULL) == -1)
			rc = -1;
		if (db_end(db, rc != 1) == -1)
			rc = -1;
	}
	crypto_cleanse(hash, sizeof(hash));
	v = rc == 1 ? AUTH_DONE : rc == 0 ? AUTH_REFUSED : AUTH_UNAVAILABLE;
	if (rc == 0)
		snprintf(why, AUTH_WHY_MAX, "no such user");
	return v;
}

int
auth_check_password(const struct conf *cf, const char *pass,
    const struct user *u, int refused, struct slot *slot,
    enum pw_verdict *verdict, unsigned long *iterations)
{
	size_t	 len = strlen(pass);
	int	 st;

	*verdict = PW_MISMATCH;
	*iterations = 0;
	if ((st = slot_take(cf, slot)) != 200)
		return st;
	if (u != NULL)
		*verdict = pw_verify(pass, len, u->password, iterations);
	if (u == NULL || *verdict == PW_UNUSABLE)
		pw_waste(pass, len, cf->iterations);
	else if ((*verdict != PW_OK || refused) && *iterations < cf->iterations)
		/*
		 * A cheaper hash (imported, or from before a raise of the
		 * cost) is topped up to what an unknown user costs, so that
		 * a refusal does not tell which accounts exist.
		 */
		pw_waste(pass, len, cf->iterations - *iterations);
	return 200;
}

int
auth_login(struct req *rq, struct app *app, const cJSON *in, cJSON **out)
{
	const struct conf *cf = &app->cf;
	static const struct field fields[] = {
		{ "username", 1, 254, FIELD_STRING },
		{ "password", 1, 128, FIELD_STRING },
	};
	const char	*v[2];
	struct db	*db = NULL;
	struct db_gate	 gate;
	struct key	 k;
	struct slot	 slot = { -1 };
	struct user	 u;
	char		 hash[PW_HASH_MAX], client[CLIENT_KEY_MAX];
	char		*key = NULL, *name = NULL;
	enum pw_verdict	 verdict;
	unsigned long	 iterations = 0;
	long long	 now = time(NULL), iat;
	size_t		 start, len;
	int		 st, found, is_email, gated = 0;

	memset(&u, 0, sizeof(u));
	memset(&k, 0, sizeof(k));
	memset(hash, 0, sizeof(hash));
	if ((st = valid_body(in, fields, 2, v, out)) != 200)
		return st;
	if ((db = app_db(app)) == NULL)
		return 503;
	/* With an "@" it is an email address, else a username. */
	len = text_strip(v[0], &start);
	is_email = memchr(v[0] + start, '@', len) != NULL;
	if ((found = auth_find_user(db, v[0], is_email, &u, &key)) < 0) {
		st = found == -1 ? 503 : 500;
		goto out;
	}
	/*
	 * The counters (the client's, then the name's: its unique key,
	 * whether or not an account has it, so that a 429 tells nothing),
	 * in one transaction with the failure noted for the audit log.
	 */
	if ((name = malloc(strlen(key) + 3)) == NULL) {
		st = 500;
		goto out;
	}
	snprintf(name, strlen(key) + 3, "%s:%s", is_email ? "e" : "u", key);
	if ((st = rate_login(db, cf, rq, now, name, found == 1 ? u.id : 0,
	    &gate, client, out)) != 200)
		goto out;
	gated = 1;
	/* Unknown users cost one hash too, so timing does not tell. */
	if ((st = auth_check_password(cf, v[1], found == 1 ? &u : NULL,
	    !u.is_active, &slot, &verdict, &iterations)) != 200)
		goto out;
	if (found == 0 || verdict != PW_OK || !u.is_active) {
		st = cgi_error(401, "Invalid credentials.", out);
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
	if (db_user_login(db, u.id, now, u.password,
	    hash[0] != '\0' ? hash : NULL, &gate) == -1) {
		st = 503;
		goto out;
	}
	gated = 0;	/* judged: a success, whatever comes after */
	/* In the second of a revocation (logout everywhere) the pair is fresh. */
	if ((iat = sign_second(db, &u, now)) == -1)
		st = 503;
	else
		st = tokens(db, &k, cf, u.id, iat, 1,
		    iat == u.tokens_valid_after, out);
out:
	/* A 503 or 500 before the verdict counts as no attempt on the name. */
	if (gated && st != 401 && db_login_undo(db, &gate) == -1)
		st = 503;
	slot_give(&slot);
	crypto_cleanse(hash, sizeof(hash));
	key_free(&k);
	db_user_free(&u);
	free(key);
	free(name);
	return st;
}

int
auth_find_user(struct db *db, const char *name, int by_email, struct user *u,
    char **keyp)
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
	if (keyp != NULL)
		*keyp = key;
	else
		free(key);
	return found;
}

/*
 * SPEC "Refresh rotation": spend the refresh token of claims c (user u)
 * now.  The first spend, or one within AUTH_REFRESH_REUSE_GRACE of it (a
 * client's retry), answers 200: a new pair is due.  Later it is theft
 * (RFC 9700 4.14): every token of u is revoked, 401.  503 on storage
 * failure.
 */
static int
spend(struct db *db, const struct conf *cf, const struct user *u,
    const struct jwt_claims *c, long long now, const char *client)
{
	struct db_token	 t;
	long long	 at;
	char		 detail[64];
	int		 rc;

	if (db_token_put(db, c->jti, u->id, DB_TOKEN_SPENT, now, c->exp,
	    &t) == -1)
		return 503;
	if (t.kind == DB_TOKEN_LOGGED_OUT)
		return 401;
	if (now - t.at <= cf->reuse_grace)
		return 200;
	fprintf(stderr, "refresh: user %lld: a spent refresh token came back "
	    "after %lld s: every token of the user revoked\n", u->id,
	    now - t.at);
	snprintf(detail, sizeof(detail), "spent %lld s before", now - t.at);
	if (db_begin(db) == -1)
		return 503;
	rc = db_user_revoke(db, u->id, &at) == -1 ||
	    db_event(db, now, "refresh_reuse", u->id, client, detail) == -1 ?
	    -1 : 0;
	return db_end(db, rc) == -1 || rc == -1 ? 503 : 401;
}

int
auth_refresh(struct req *rq, struct app *app, const cJSON *in, cJSON **out)
{
	const struct conf *cf = &app->cf;
	static const struct field fields[] = {
		{ "refresh", 20, 0, FIELD_STRING },
	};
	const char	*v[1];
	struct db	*db = NULL;
	struct db_token	 t;
	struct jwt_claims c;
	struct key	 k;
	struct user	 u;
	long long	 now = time(NULL), iat;
	char		 client[CLIENT_KEY_MAX];
	int		 st, found;

	memset(&u, 0, sizeof(u));
	memset(&k, 0, sizeof(k));
	if ((st = valid_body(in, fields, 1, v, out)) != 200)
		return st;
	if ((db = app_db(app)) == NULL)
		return 503;
	if ((st = rate_hit(db, cf, RATE_REFRESH, rq, now, out)) != 200 ||
	    (st = session_open(db, cf, &k, v[0], JWT_REFRESH, now, &u,
	    &c)) != 200)
		goto out;
	rate_client(cf, rq, client);
	if (cf->rotate)
		st = spend(db, cf, &u, &c, now, client);
	/* Without rotation a logged-out (or once spent) token is refused. */
	else if ((found = db_token_get(db, c.jti, &t)) != 0)
		st = found == -1 ? 503 : 401;
	if (st == 200 && (iat = sign_second(db, &u, now)) == -1)
		st = 503;
	else if (st == 200)
		st = tokens(db, &k, cf, u.id, iat, cf->rotate,
		    iat == u.tokens_valid_after, out);
out:
	if (st == 401)
		st = cgi_error(401, MSG_REFRESH, out);
	key_free(&k);
	db_user_free(&u);
	return st;
}

/*
 * A refresh token refused only because it was logged out (with
 * everywhere, which also revoked it): its signature holds and its jti is
 * remembered as logged out or spent.  200, 401, or 503.
 */
static int
logged_out(struct db *db, const struct key *k, const char *token,
    long long now)
{
	struct jwt_claims c;
	struct db_token	 t;
	enum jwt_verdict v;
	int		 found;

	if (key_verify(db, k, token, JWT_REFRESH, now, &c, &v) != 200)
		return 503;
	if (v != JWT_OK)
		return 401;
	if ((found = db_token_get(db, c.jti, &t)) == -1)
		return 503;
	return found == 1 && t.user_id == c.user_id &&
	    (t.kind == DB_TOKEN_LOGGED_OUT || t.kind == DB_TOKEN_SPENT) ?
	    200 : 401;
}

int
auth_logout(struct req *rq, struct app *app, const cJSON *in, cJSON **out)
{
	const struct conf *cf = &app->cf;
	static const struct field fields[] = {
		{ "refresh", 20, 0, FIELD_STRING },
		{ "everywhere", 0, 0, FIELD_BOOL },
	};
	const cJSON	*everywhere = json_member(in, "everywhere");
	const char	*v[2];
	struct db	*db = NULL;
	struct jwt_claims c;
	struct key	 k;
	struct user	 u;
	long long	 now = time(NULL), at;
	char		 client[CLIENT_KEY_MAX];
	int		 st, rc;

	memset(&u, 0, sizeof(u));
	memset(&k, 0, sizeof(k));
	if ((st = valid_body(in, fields, 2, v, out)) != 200)
		return st;
	if ((db = app_db(app)) == NULL)
		return 503;
	/* A logged-out or spent token is no refusal: logging out twice is 200. */
	if ((st = rate_hit(db, cf, RATE_REFRESH, rq, now, out)) != 200)
		goto out;
	if ((st = session_open(db, cf, &k, v[0], JWT_REFRESH, now, &u,
	    &c)) == 401 &&
	    (st = logged_out(db, &k, v[0], now)) == 200) {
		/* Its everywhere revoked it too: nothing more to do. */
		st = (*out = cgi_note("Logged out.")) == NULL ? 500 : 200;
		goto out;
	}
	if (st != 200)
		goto out;
	rate_client(cf, rq, client);
	if (db_begin(db) == -1) {
		st = 503;
		goto out;
	}
	rc = db_token_put(db, c.jti, u.id, DB_TOKEN_LOGGED_OUT, now, c.exp,
	    NULL) == -1 || (cJSON_IsTrue(everywhere) &&
	    db_user_revoke(db, u.id, &at) == -1) ||
	    db_event(db, now, cJSON_IsTrue(everywhere) ? "logout_everywhere" :
	    "logout", u.id, client, NULL) == -1 ? -1 : 0;
	if (db_end(db, rc) == -1 || rc == -1) {
		st = 503;
		goto out;
	}
	st = (*out = cgi_note("Logged out.")) == NULL ? 500 : 200;
out:
	if (st == 401)
		st = cgi_error(401, MSG_REFRESH, out);
	key_free(&k);
	db_user_free(&u);
	return st;
}

int
auth_me(struct req *rq, struct app *app, const cJSON *in, cJSON **out)
{
	struct user	 u;
	int		 st;

	(void)in;	/* GET: no body */
	if ((st = auth_user(rq, app, &u)) != 200)
		return st;
	st = auth_profile(&u, 200, out);
	db_user_free(&u);
	return st;
}

int
auth_user(struct req *rq, struct app *app, struct user *u)
{
	const char	*token;
	struct jwt_claims c;
	struct db	*db;
	struct key	 k;
	int		 st;

	memset(u, 0, sizeof(*u));
	if ((token = session_bearer(rq)) == NULL)
		return 401;
	if ((db = app_db(app)) == NULL)
		return 503;
	st = session_open(db, &app->cf, &k, token, JWT_ACCESS, time(NULL), u,
	    &c);
	key_free(&k);
	if (st != 200)
		db_user_free(u);	/* filled before an inactive or revoked refusal */
	return st;
}

int
auth_profile(const struct user *u, int status, cJSON **out)
{
	if ((*out = cJSON_CreateObject()) == NULL ||
	    cJSON_AddNumberToObject(*out, "id", (double)u->id) == NULL ||
	    cJSON_AddStringToObject(*out, "username", u->username) == NULL ||
	    cJSON_AddStringToObject(*out, "email", u->email) == NULL) {
		fprintf(stderr, "auth: profile: out of memory\n");
		cJSON_Delete(*out);
		*out = NULL;
		return 500;
	}
	return status;
}
