/*
 * The four operations of SPEC, one function each, in the order the SPEC
 * gives for its endpoint: schema, attempt counter, then the logic.  Each
 * is a struct endpoint's run: it returns the HTTP status and sets *out to
 * the body to send (NULL means the status's fixed message).
 */
#ifndef AUTH_H
#define AUTH_H

#include <cJSON.h>

#include "app.h"

struct db;
struct req;
struct user;

/* POST register: 201, 400, 422, 429, 500 or 503 (SPEC "POST register"). */
int	auth_register(struct req *rq, struct app *app, const cJSON *in,
	    cJSON **out);

/* POST login: 200, 401, 422, 429, 500 or 503 (SPEC "POST login"). */
int	auth_login(struct req *rq, struct app *app, const cJSON *in,
	    cJSON **out);

/* POST refresh: 200, 401, 422, 429, 500 or 503 (SPEC "POST refresh"). */
int	auth_refresh(struct req *rq, struct app *app, const cJSON *in,
	    cJSON **out);

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
 * that is not UTF-8 or no memory (both logged).
 */
int	auth_find_user(struct db *db, const char *name, int by_email,
	    struct user *u);

/* GET me: 200, 401, 500 or 503 (SPEC "GET me"). */
int	auth_me(struct req *rq, struct app *app, const cJSON *in,
	    cJSON **out);

#endif
