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

/* POST register: 201, 400, 422, 429, 500 or 503 (SPEC "POST register"). */
int	auth_register(struct req *rq, struct app *app, const cJSON *in,
	    cJSON **out);

/* POST login: 200, 401, 422, 429, 500 or 503 (SPEC "POST login"). */
int	auth_login(struct req *rq, struct app *app, const cJSON *in,
	    cJSON **out);

/* POST refresh: 200, 401, 422, 429, 500 or 503 (SPEC "POST refresh"). */
int	auth_refresh(struct req *rq, struct app *app, const cJSON *in,
	    cJSON **out);

/* GET me: 200, 401, 500 or 503 (SPEC "GET me"). */
int	auth_me(struct req *rq, struct app *app, const cJSON *in,
	    cJSON **out);

#endif
