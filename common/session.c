/*
 * Tokens handed out and tokens presented, with the revocations between.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cgi.h"
#include "conf.h"
#include "db.h"
#include "key.h"
#include "session.h"

#define TOKEN_MAX	1024	/* room for a token we sign */

/*
 * A fresh token is remembered under "+" and its jti, apart from the row a
 * logout or a rotation may give the same jti: it stays fresh when spent.
 */
#define FRESH_KEY_MAX	(JWT_JTI_MAX + 2)

static void
fresh_key(const char *jti, char key[FRESH_KEY_MAX])
{
	snprintf(key, FRESH_KEY_MAX, "+%s", jti);
}

int
session_issue(struct db *db, const struct key *k, const struct conf *cf,
    long long id, long long now, int pair, int fresh, cJSON *out)
{
	char		 access[TOKEN_MAX], refresh[TOKEN_MAX];
	char		 jti[2][JWT_JTI_LEN + 1], key[2][FRESH_KEY_MAX];

	if (jwt_sign(k->key, k->len, JWT_ACCESS, id, now, cf->access_ttl,
	    access, sizeof(access), jti[0]) == -1 || (pair &&
	    jwt_sign(k->key, k->len, JWT_REFRESH, id, now, cf->refresh_ttl,
	    refresh, sizeof(refresh), jti[1]) == -1))
		return 500;
	fresh_key(jti[0], key[0]);
	if (pair)
		fresh_key(jti[1], key[1]);
	if (fresh && (db_token_put(db, key[0], id, DB_TOKEN_FRESH, now,
	    now + cf->access_ttl, NULL) == -1 || (pair &&
	    db_token_put(db, key[1], id, DB_TOKEN_FRESH, now,
	    now + cf->refresh_ttl, NULL) == -1)))
		return 503;
	if (cJSON_AddStringToObject(out, "access", access) == NULL ||
	    (pair && cJSON_AddStringToObject(out, "refresh", refresh) == NULL)) {
		fprintf(stderr, "session: out of memory\n");
		return 500;
	}
	return 200;
}

/*
 * session_open's judgement of token under k, where found says whether u
 * already holds the user it claims (1), that there is none (0), or that
 * the user was not read yet (-1).
 */
static int
judge(struct db *db, const struct key *k, const char *token,
    enum jwt_type type, long long now, struct user *u, int found,
    struct jwt_claims *c)
{
	struct db_token	 t;
	enum jwt_verdict v;
	long long	 after;
	char		 key[FRESH_KEY_MAX];

	if (key_verify(db, k, token, type, now, c, &v) != 200)
		return 503;
	if (v != JWT_OK)
		return 401;
	if (found == -1 || (found == 1 && u->id != c->user_id)) {
		db_user_free(u);
		if ((found = db_user_by_id(db, c->user_id, u)) == -1)
			return 503;
	}
	if (found == 0 || !u->is_active)
		return 401;
	/*
	 * Revoked (a new password, logout everywhere, authctl revoke): every
	 * token issued before that second, one that does not say when it
	 * was, and one of that second unless it is remembered as fresh.
	 */
	if ((after = u->tokens_valid_after) == 0 ||
	    (c->has_iat && c->iat > (double)after))
		return 200;
	if (!c->has_iat || c->iat < (double)after)
		return 401;
	fresh_key(c->jti, key);
	if ((found = db_token_get(db, key, &t)) == -1)
		return 503;
	return found == 1 && t.kind == DB_TOKEN_FRESH && t.user_id == u->id ?
	    200 : 401;
}

int
session_open(struct db *db, const struct conf *cf, struct key *k,
    const char *token, enum jwt_type type, long long now, struct user *u,
    struct jwt_claims *c)
{
	long long	 id;
	int		 found = -1, st;

	memset(u, 0, sizeof(*u));
	/* The key and the user the token claims in one read, then judged. */
	if (jwt_claimed_user(token, strlen(token), &id) == 0)
		st = key_load_user(db, cf, k, id, u, &found);
	else
		st = key_load(db, cf, k);
	if (st != 200)
		return st;
	return judge(db, k, token, type, now, u, found, c);
}

const char *
session_bearer(struct req *rq)
{
	const char	*h = rq->authorization;

	rq->is_bearer = 1;	/* every 401 carries WWW-Authenticate */
	if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0 || h[7] == '\0')
		return NULL;
	rq->token_sent = 1;	/* the 401 then says error="invalid_token" */
	if (strchr(h + 7, ' ') != NULL)
		return NULL;
	return h + 7;
}
