/*
 * The endpoints' operations of SPEC, one function each (auth.c: register,
 * login, refresh, me, logout; account.c: the account endpoints), in the
 * order the SPEC gives: schema, attempt counter, then the logic.  Each is
 * a struct handler's run: it returns the HTTP status and sets *out to the
 * body to send (NULL means the status's fixed message).
 */
#ifndef AUTH_H
#define AUTH_H

#include <cJSON.h>

#include "app.h"
#include "pw.h"

struct db;
struct req;
struct slot;
struct user;

/* POST register: 201, 400, 422, 429, 500 or 503 (SPEC "POST register"). */
int	auth_register(struct req *rq, struct app *app, const cJSON *in,
	    cJSON **out);

/* POST login: 200, 401, 422, 429, 500 or 503 (SPEC "POST login"). */
int	auth_login(struct req *rq, struct app *app, const cJSON *in,
	    cJSON **out);

/*
 * POST refresh: 200, 401, 422, 429, 500 or 503 (SPEC "POST refresh",
 * "Refresh rotation").
 */
int	auth_refresh(struct req *rq, struct app *app, const cJSON *in,
	    cJSON **out);

/* POST logout: 200, 401, 422, 429, 500 or 503 (SPEC "Account endpoints"). */
int	auth_logout(struct req *rq, struct app *app, const cJSON *in,
	    cJSON **out);

/*
 * The account endpoints (account.c; SPEC "Account endpoints"), each after
 * the bearer token's 401 and then the body's 413, 400 and 422:
 * PATCH me/email 200, 400, 403; PUT me/password 200, 400, 403, 429;
 * DELETE me 200, 400, 429; all of them 500 or 503 besides.
 */
int	auth_me_email(struct req *rq, struct app *app, const cJSON *in,
	    cJSON **out);
int	auth_me_password(struct req *rq, struct app *app, const cJSON *in,
	    cJSON **out);
int	auth_me_delete(struct req *rq, struct app *app, const cJSON *in,
	    cJSON **out);

/*
 * The user of the request's bearer access token (SPEC "GET me"): 200 with
 * u filled (for db_user_free), else 401 (rq marked for WWW-Authenticate)
 * or 503 with u empty.
 */
int	auth_user(struct req *rq, struct app *app, struct user *u);

/* {"id", "username", "email"} of u into *out: status, or 500. */
int	auth_profile(const struct user *u, int status, cJSON **out);

/*
 * Check pass against u's stored hash (u NULL: an unknown name) as login
 * does: under a hash slot (kept in *slot for a re-hash), and at the same
 * cost whatever the answer (SPEC "POST login": an unknown name or an
 * unusable hash costs one hash of the configured count, and a refused
 * password, or one of a refused account, whose hash is cheaper is topped
 * up to it).  Sets *verdict and *iterations (0 if unusable).  Returns 200,
 * or 503 when no slot came.
 */
int	auth_check_password(const struct conf *cf, const char *pass,
	    const struct user *u, int refused, struct slot *slot,
	    enum pw_verdict *verdict, unsigned long *iterations);

/* An account as authctl user add gives it: register's three fields. */
struct account {
	const char	*username;
	const char	*email;
	const char	*password;
};

/* What the endpoints' rules made of an authctl operation. */
enum auth_verdict {
	AUTH_DONE,
	AUTH_REFUSED,		/* why says why, in the endpoints' words */
	AUTH_UNAVAILABLE,	/* storage failed (logged): their 503 */
	AUTH_FAILED		/* anything else (logged): their 500 */
};

#define AUTH_WHY_MAX	512	/* room for the reasons of a refusal */

/*
 * authctl's two operations on the endpoints' rules.  auth_add_user is
 * register without the attempt counter and the tokens (*id set on
 * AUTH_DONE); auth_set_password judges and hashes password as register
 * would for u, stores it and revokes u's tokens up to the second it sets
 * in *revoked.  On AUTH_REFUSED, why holds the reasons, one per line
 * ("password: String should have at least 8 characters", "Email already
 * exists.").
 */
enum auth_verdict auth_add_user(struct app *app, const struct account *a,
	    long long *id, char why[AUTH_WHY_MAX]);
enum auth_verdict auth_set_password(struct app *app, const struct user *u,
	    const char *password, long long *revoked, char why[AUTH_WHY_MAX]);

/*
 * Look a user up by name as login does: by_email, by the email's key, else
 * by the username's (names_key; an empty key finds nobody).  Returns 1
 * found (u filled, for db_user_free), 0 none, -1 storage error, -2 a name
 * that is not UTF-8 or no memory (both logged).  Unless key is NULL, the
 * name's key is left in *key for the caller to free (on 1 and 0).
 */
int	auth_find_user(struct db *db, const char *name, int by_email,
	    struct user *u, char **key);

/* GET me: 200, 401, 500 or 503 (SPEC "GET me"). */
int	auth_me(struct req *rq, struct app *app, const cJSON *in,
	    cJSON **out);

#endif
