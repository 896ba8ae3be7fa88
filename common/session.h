/*
 * Sessions: the tokens an endpoint hands out, and whose a presented token
 * is (SPEC "Tokens", "Account endpoints", "Refresh rotation").  A user's
 * revocation (users.tokens_valid_after, a second S) refuses every token
 * issued at or before S; since tokens carry whole seconds, a token issued
 * in S after the revocation (the pair a password change answers, a login
 * right after a logout everywhere) is remembered by its jti as fresh.
 */
#ifndef SESSION_H
#define SESSION_H

#include <cJSON.h>

#include "jwt.h"

struct conf;
struct db;
struct key;
struct req;
struct user;

/*
 * Sign an access token (and with pair, a refresh token) for u at now, under
 * k, and add them to the object out as "access" and "refresh".  With fresh
 * (the tokens are issued in the second of u's revocation, after it), their
 * jtis are remembered so that they stay valid.  Returns 200, 503 when
 * remembering failed, or 500 (logged).
 */
int	session_issue(struct db *db, const struct key *k,
	    const struct conf *cf, long long id, long long now, int pair,
	    int fresh, cJSON *out);

/*
 * Load the signing key of cf into k (key_load), verify token as a token
 * of type at now under it (key_verify) and find its user, who must exist,
 * be active and not have had it revoked; the key and the user are one
 * read (key_load_user).  Returns 200 with u and c filled, 401 for any
 * refusal (k loaded), 503 on storage failure, 500.  The caller frees u
 * (db_user_free) and k (key_free).  Logged-out and spent refresh tokens are
 * not judged here: refresh and logout treat them differently.
 */
int	session_open(struct db *db, const struct conf *cf, struct key *k,
	    const char *token, enum jwt_type type, long long now,
	    struct user *u, struct jwt_claims *c);

/*
 * The token of "Authorization: Bearer <token>": the scheme word in any
 * case, one space, one token with no space in it.  NULL if there is none.
 * Marks rq so that every 401 carries WWW-Authenticate (with
 * error="invalid_token" once a token was sent).
 */
const char *session_bearer(struct req *rq);

#endif
