/*
 * The attempt counter of SPEC "Rate limiting": fixed windows per scope and
 * client, counted exactly in the database.
 */
#ifndef RATE_H
#define RATE_H

#include <cJSON.h>

struct conf;
struct db;
struct req;

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

#endif
