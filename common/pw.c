/*
 * Django's pbkdf2_sha256 hasher: hashes made by Django verify here and the
 * other way round.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "num.h"
#include "pw.h"

#define ALGORITHM	"pbkdf2_sha256"
#define SALT_LEN	22	/* Django's salt: 22 of [a-zA-Z0-9], ~131 bits */
#define SALT_MAX	256	/* a stored salt longer than this is unusable */
#define KEY_B64_LEN	44	/* 32 bytes, standard base64 with padding */

static const char alnum[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/* SALT_LEN characters of alnum, uniformly (rejection sampling). */
static int
make_salt(char salt[SALT_LEN + 1])
{
	unsigned char	 rnd[64];
	size_t		 i, n = 0;

	while (n < SALT_LEN) {
		if (crypto_random(rnd, sizeof(rnd)) == -1)
			return -1;
		/* 248 = 4 * 62: bytes above it would favour some letters. */
		for (i = 0; i < sizeof(rnd) && n < SALT_LEN; i++)
			if (rnd[i] < 248)
				salt[n++] = alnum[rnd[i] % 62];
	}
	salt[n] = '\0';
	return 0;
}

int
pw_hash(const char *pass, size_t len, unsigned long iterations,
    char out[PW_HASH_MAX])
{
	unsigned char	 key[CRYPTO_SHA256_LEN];
	char		 salt[SALT_LEN + 1], b64[KEY_B64_LEN + 1];
	int		 n;

	if (make_salt(salt) == -1)
		return -1;
	crypto_pbkdf2_sha256(pass, len, salt, SALT_LEN, iterations, key,
	    sizeof(key));
	n = crypto_b64_encode(key, sizeof(key), b64, sizeof(b64), 0);
	crypto_cleanse(key, sizeof(key));
	if (n != KEY_B64_LEN)
		return -1;
	n = snprintf(out, PW_HASH_MAX, ALGORITHM "$%lu$%s$%s", iterations,
	    salt, b64);
	if (n < 0 || n >= PW_HASH_MAX) {
		fprintf(stderr, "pw_hash: no room\n");
		return -1;
	}
	return 0;
}

/*
 * The iteration count after "pbkdf2_sha256$" in encoded: decimal digits,
 * no sign, no leading zero, then "$".  Sets *end to that "$".  Returns the
 * count, PW_ITERATIONS_MAX + 1 for any larger one, or 0 if there is none.
 */
static unsigned long
count(const char *encoded, const char **end)
{
	const char	*p;
	unsigned long long iter;
	size_t		 n;

	if (strncmp(encoded, ALGORITHM "$", sizeof(ALGORITHM)) != 0)
		return 0;
	p = encoded + sizeof(ALGORITHM);
	n = strspn(p, "0123456789");
	if (*p == '0' || p[n] != '$' ||
	    num_parse(p, n, PW_ITERATIONS_MAX, &iter) == NUM_NOT)
		return 0;
	*end = p + n;
	return (unsigned long)iter;	/* PW_ITERATIONS_MAX + 1 if more */
}

unsigned long
pw_iterations(const char *encoded)
{
	const char	*end;

	return count(encoded, &end);
}

/*
 * Parse a stored hash: its iterations, salt (saltlen bytes) and the key it
 * encodes into want.  Returns 0, or -1 if it is no pbkdf2_sha256 hash or
 * states more than PW_ITERATIONS_MAX iterations.
 */
static int
parse(const char *encoded, unsigned long *iterations, const char **salt,
    size_t *saltlen, unsigned char want[CRYPTO_SHA256_LEN + 2])
{
	const char	*p, *hash;
	unsigned long	 iter;

	if ((iter = count(encoded, &p)) == 0 || iter > PW_ITERATIONS_MAX)
		return -1;
	*salt = p + 1;
	if ((hash = strchr(*salt, '$')) == NULL)
		return -1;
	*saltlen = (size_t)(hash - *salt);
	hash++;
	if (*saltlen == 0 || *saltlen > SALT_MAX ||
	    strlen(hash) != KEY_B64_LEN ||
	    crypto_b64_decode(hash, KEY_B64_LEN, want, CRYPTO_SHA256_LEN + 2,
	    0) != CRYPTO_SHA256_LEN)
		return -1;
	*iterations = iter;
	return 0;
}

enum pw_verdict
pw_verify(const char *pass, size_t len, const char *encoded,
    unsigned long *iterations)
{
	const char	*salt;
	unsigned char	 want[CRYPTO_SHA256_LEN + 2], got[CRYPTO_SHA256_LEN];
	size_t		 saltlen;
	int		 ok;

	*iterations = 0;
	if (parse(encoded, iterations, &salt, &saltlen, want) == -1) {
		*iterations = 0;
		return PW_UNUSABLE;
	}
	crypto_pbkdf2_sha256(pass, len, salt, saltlen, *iterations, got,
	    sizeof(got));
	ok = crypto_equal(got, want, sizeof(got));
	crypto_cleanse(got, sizeof(got));
	crypto_cleanse(want, sizeof(want));
	return ok ? PW_OK : PW_MISMATCH;
}

int
pw_usable(const char *encoded)
{
	const char	*salt;
	unsigned char	 want[CRYPTO_SHA256_LEN + 2];
	unsigned long	 iterations;
	size_t		 saltlen;

	return parse(encoded, &iterations, &salt, &saltlen, want) == 0;
}

void
pw_waste(const char *pass, size_t len, unsigned long iterations)
{
	unsigned char	 key[CRYPTO_SHA256_LEN];

	crypto_pbkdf2_sha256(pass, len, "timing-equaliser-salt", SALT_LEN,
	    iterations, key, sizeof(key));
	crypto_cleanse(key, sizeof(key));
}
