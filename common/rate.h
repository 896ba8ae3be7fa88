/*
 * The attempt counter of SPEC "Rate limiting": fixed windows per scope and
 * client, counted exactly in the database.
 */
#ifndef RATE_H
#define RATE_H

#include <cJSON.h>

#include "client.h"

struct conf;
struct db;
struct db_gate;
struct req;

/* SPEC "Per-account throttle": a client known to an account this long. */
#define RATE_KNOWN_DAYS	30

/* The counter's scopes (SPEC "Rate limiting"), indexing conf.rate_max. */
enum rate_scope {
	RATE_REGISTER,
	RATE_LOGIN,
	RATE_REFRESH,
	RATE_PASSWORD,		/* PUT me/password, DELETE me */
	RATE__MAX
};

/*
 * Count this attempt of the request's client in scope.  Returns 200 if it
 * is within the limit (or counting is off), 429 with *out set to the body
 * and rq->retry_after to the seconds left in the window, or 503 if the
 * count could not be stored.  The caller frees *out.
 */
int	rate_hit(struct db *db, const struct conf *cf, enum rate_scope scope,
	    struct req *rq, long long now, cJSON **out);

/*
 * login's counters in one transaction (db_login_gate): the client's
 * attempt in scope login, then the failures of name (the name's unique
 * key, "u:" or "e:" prefixed; user_id the account that has it, 0 if none)
 * under AUTH_RATE_ACCOUNT, a client that logged in to it within 30 days
 * excepted (SPEC "Per-account throttle").  Fills g (for db_user_login)
 * and client (the client's key).  Returns 200, 429 with *out and
 * rq->retry_after set as rate_hit does (the name's window for its 429),
 * or 503.
 */
int	rate_login(struct db *db, const struct conf *cf, struct req *rq,
	    long long now, const char *name, long long user_id,
	    struct db_gate *g, char client[CLIENT_KEY_MAX], cJSON **out);

/* The request's client as the counters key it (its address, or /64). */
void	rate_client(const struct conf *cf, const struct req *rq,
	    char client[CLIENT_KEY_MAX]);

#endif
