/*
 * Which key signs the tokens and which keys verify them.
 */
#include <stdio.h>
#include <string.h>

#include "crypto.h"
#include "db.h"
#include "key.h"

int
key_load(struct db *db, const struct conf *cf, struct key *k)
{
	unsigned char	 fresh[KEY_BYTES];
	int		 rc, tries;

	memset(k, 0, sizeof(*k));
	if (cf->secretlen > 0) {
		k->key = cf->secret;
		k->len = cf->secretlen;
		return 200;
	}
	for (tries = 0; tries < 2; tries++) {
		k->len = sizeof(k->stored);
		if ((rc = db_secret_get(db, k->stored, &k->len)) == -1)
			return 503;
		if (rc == 1) {
			k->key = k->stored;
			return 200;
		}
		/* None yet: offer one; a concurrent first request may win. */
		if (crypto_random(fresh, sizeof(fresh)) == -1)
			return 500;
		rc = db_secret_put(db, fresh, sizeof(fresh));
		crypto_cleanse(fresh, sizeof(fresh));
		if (rc == -1)
			return 503;
	}
	fprintf(stderr, "key: the stored signing key did not appear\n");
	return 503;
}

int
key_load_user(struct db *db, const struct conf *cf, struct key *k,
    long long id, struct user *u, int *found)
{
	int	 rc;

	*found = -1;
	memset(u, 0, sizeof(*u));
	if (cf->secretlen > 0)
		return key_load(db, cf, k);
	memset(k, 0, sizeof(*k));
	k->len = sizeof(k->stored);
	if ((rc = db_user_with_key(db, id, u, k->stored, &k->len)) == -1)
		return 503;
	if (k->len == 0) {	/* none yet: key_load makes it */
		db_user_free(u);
		return key_load(db, cf, k);
	}
	k->key = k->stored;
	*found = rc;
	return 200;
}

void
key_free(struct key *k)
{
	crypto_cleanse(k->stored, sizeof(k->stored));
}

int
key_verify(struct db *db, const struct key *k, const char *token,
    enum jwt_type type, long long now, struct jwt_claims *c,
    enum jwt_verdict *v)
{
	unsigned char	 previous[CONF_SECRET_MAX];
	size_t		 len = sizeof(previous);
	long long	 until = 0;
	int		 found;

	*v = jwt_verify(token, strlen(token), k->key, k->len, type, now, c);
	/* Only a key kept in the database is rotated (authctl refuses else). */
	if (*v != JWT_BAD_SIG || k->key != k->stored)
		return 200;
	if ((found = db_secret_previous(db, previous, &len, &until)) == -1)
		return 503;
	if (found == 1 && now < until)
		*v = jwt_verify(token, strlen(token), previous, len, type, now,
		    c);
	crypto_cleanse(previous, sizeof(previous));
	return 200;
}
