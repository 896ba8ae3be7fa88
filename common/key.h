/*
 * The signing key (SPEC "Configuration"): the one AUTH_JWT_SECRET or
 * AUTH_JWT_SECRET_FILE sets, else the one kept in the database, made on
 * first use; and, while authctl secret rotate's grace lasts, the key it
 * replaced, which still verifies.
 */
#ifndef KEY_H
#define KEY_H

#include <stddef.h>

#include "conf.h"
#include "jwt.h"

#define KEY_BYTES	32	/* a generated signing key: 256 bits */

struct db;
struct user;

/* The key tokens are signed with; wiped by key_free. */
struct key {
	const unsigned char	*key;	/* the configured key, or stored */
	size_t			 len;
	unsigned char		 stored[CONF_SECRET_MAX];
};

/*
 * Load the signing key of cf into k: the configured one, else the
 * database's, generated and stored on first use (a concurrent first
 * request may win; its key is taken).  Returns 200, 503 when storage
 * fails, or 500 when no random bytes could be had (both logged).
 */
int	key_load(struct db *db, const struct conf *cf, struct key *k);

/*
 * key_load, and in the same read the user id names (db_user_with_key):
 * *found is then 1 (u filled) or 0 (no such user), or -1 when the user was
 * not read (a configured key, or the first key made now).  The caller frees
 * u.  Returns as key_load.
 */
int	key_load_user(struct db *db, const struct conf *cf, struct key *k,
	    long long id, struct user *u, int *found);

/* Wipe what key_load copied. */
void	key_free(struct key *k);

/*
 * Verify token as a token of type at now under k, and, if its signature is
 * not k's, under the key a rotation replaced while its grace lasts.  Sets
 * *v (and *c on JWT_OK).  Returns 200, or 503 when storage fails.
 */
int	key_verify(struct db *db, const struct key *k, const char *token,
	    enum jwt_type type, long long now, struct jwt_claims *c,
	    enum jwt_verdict *v);

#endif
