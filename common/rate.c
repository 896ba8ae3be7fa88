/*
 * Attempt counting: bucket = floor(now / window), one upsert per attempt,
 * every attempt counted whether it succeeds or not.
 */
#include <stdio.h>

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

int
rate_hit(struct db *db, const struct conf *cf, enum rate_scope scope,
    struct req *rq, long long now, cJSON **out)
{
	char		 client[CLIENT_KEY_MAX];
	long long	 bucket, count;
	cJSON		*details;

	if (!cf->rate_on)
		return 200;
	client_key(cf->proxies, cf->nproxies, rq->remote_addr,
	    rq->forwarded_for, client);
	bucket = now / cf->rate_window;
	if (db_attempt(db, (int)scope, client, bucket,
	    (bucket + 1) * cf->rate_window, &count) == -1)
		return 503;
	if (count <= cf->rate_max[scope])
		return 200;
	rq->retry_after = (bucket + 1) * cf->rate_window - now;
	if ((*out = cgi_message(messages[scope])) == NULL)
		return 500;
	cJSON_DeleteItemFromObject(*out, "details");
	if ((details = cJSON_AddObjectToObject(*out, "details")) == NULL ||
	    cJSON_AddNumberToObject(details, "retry_after",
	    (double)rq->retry_after) == NULL) {
		fprintf(stderr, "rate_hit: out of memory\n");
		cJSON_Delete(*out);
		*out = NULL;
		return 500;
	}
	return 429;
}
