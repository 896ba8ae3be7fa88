/*
 * Attempt counting: bucket = floor(now / window), one upsert per attempt,
 * every attempt counted whether it succeeds or not.
 */
#include <stdio.h>
#include <string.h>

#include <cJSON.h>

#include "cgi.h"
#include "client.h"
#include "conf.h"
#include "db.h"
#include "rate.h"

static const char *const messages[RATE__MAX] = {
	"Too many registration attempts. Please try again later.", /* REGISTER */
	"Too many login attempts. Please try again later.",	/* RATE_LOGIN */
	"Too many refresh attempts. Please try again later.",	/* REFRESH */
	"Too many requests. Please try again later.",		/* PASSWORD */
};

void
rate_client(const struct conf *cf, const struct req *rq,
    char client[CLIENT_KEY_MAX])
{
	client_key(cf->proxies, cf->nproxies, rq->remote_addr,
	    rq->forwarded_for, client);
}

/* The 429 of scope, its window ending at end: 429, or 500. */
static int
too_many(enum rate_scope scope, struct req *rq, long long end,
    long long now, cJSON **out)
{
	cJSON	*details;

	rq->retry_after = end - now;
	if ((*out = cgi_message(messages[scope])) == NULL)
		return 500;
	cJSON_DeleteItemFromObject(*out, "details");
	if ((details = cJSON_AddObjectToObject(*out, "details")) == NULL ||
	    cJSON_AddNumberToObject(details, "retry_after",
	    (double)rq->retry_after) == NULL) {
		fprintf(stderr, "rate: out of memory\n");
		cJSON_Delete(*out);
		*out = NULL;
		return 500;
	}
	return 429;
}

int
rate_hit(struct db *db, const struct conf *cf, enum rate_scope scope,
    struct req *rq, long long now, cJSON **out)
{
	char		 client[CLIENT_KEY_MAX];
	long long	 bucket, count;

	if (!cf->rate_on)
		return 200;
	rate_client(cf, rq, client);
	bucket = now / cf->rate_window;
	if (db_attempt(db, (int)scope, client, bucket,
	    (bucket + 1) * cf->rate_window, &count) == -1)
		return 503;
	if (count <= cf->rate_max[scope])
		return 200;
	return too_many(scope, rq, (bucket + 1) * cf->rate_window, now, out);
}

int
rate_login(struct db *db, const struct conf *cf, struct req *rq,
    long long now, const char *name, long long user_id, struct db_gate *g,
    char client[CLIENT_KEY_MAX], cJSON **out)
{
	rate_client(cf, rq, client);
	memset(g, 0, sizeof(*g));
	g->now = now;
	g->scope = RATE_LOGIN;
	g->client = client;
	if (cf->rate_on) {
		g->client_bucket = now / cf->rate_window;
		g->client_expires = (g->client_bucket + 1) * cf->rate_window;
		g->client_max = cf->rate_max[RATE_LOGIN];
	}
	g->name = name;
	if (cf->account_max > 0) {
		g->name_bucket = now / cf->account_window;
		g->name_expires = (g->name_bucket + 1) * cf->account_window;
		g->name_max = cf->account_max;
	}
	g->user_id = user_id;
	g->known_since = now - RATE_KNOWN_DAYS * 86400LL;
	if (db_login_gate(db, g) == -1)
		return 503;
	switch (g->verdict) {
	case DB_GATE_CLIENT:
		return too_many(RATE_LOGIN, rq, g->client_expires, now, out);
	case DB_GATE_NAME:
		return too_many(RATE_LOGIN, rq, g->name_expires, now, out);
	default:
		return 200;
	}
}
