/*
 * The four operations of SPEC.md, one function each, in the order the SPEC
 * gives for its endpoint: schema, attempt counter, then the logic.  Each
 * is a struct endpoint's run: it returns the HTTP status and sets *out to
 * the body to send (NULL means the status's fixed message).
 */
#ifndef AUTH_H
#define AUTH_H

#include <cJSON.h>

#include "cgi.h"
#include "serve.h"

struct db;
struct user;

#define AUTH_KEY_BYTES	32	/* a generated signing key: 256 bits */

/* POST register: 201, 400, 422, 429, 500 or 503 (SPEC "POST register"). */
int	auth_register(struct req *rq, struct app *app, const cJSON *in,
	    cJSON **out);

/* POST login: 200, 401, 422, 429, 500 or 503 (SPEC "POST login"). */
int	auth_login(struct req *rq, struct app *app, const cJSON *in,
	    cJSON **out);

/* POST refresh: 200, 401, 422, 429, 500 or 503 (SPEC "POST refresh"). */
int	auth_refresh(struct req *rq, struct app *app, const cJSON *in,
	    cJSON **out);

/*
 * authctl's two operations on the endpoints' rules.  auth_add_user is
 * register without the attempt counter and the tokens (201 with *id set,
 * 400, 422, 500 or 503); auth_set_password judges and hashes the password
 * of in ({"password"}) as register would for u, stores it and revokes u's
 * tokens up to the second it sets in *revoked (200, 400, 404, 422, 500 or
 * 503).  *out as above.
 */
int	auth_add_user(struct app *app, const cJSON *in, long long *id,
	    cJSON **out);
int	auth_set_password(struct app *app, const struct user *u,
	    const cJSON *in, long long *revoked, cJSON **out);

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
