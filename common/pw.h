/*
 * Password hashes in Django's format (SPEC "Passwords"):
 * pbkdf2_sha256$<iterations>$<salt>$<base64 of the 32-byte key>.
 */
#ifndef PW_H
#define PW_H

#include <stddef.h>

#define PW_HASH_MAX	128	/* an encoded hash we make, with its NUL */
/*
 * SPEC "POST login": no iteration count above this is accepted anywhere
 * (the setting, an import, a stored hash), so that one login never costs
 * more than this many (about 0.4 s here).
 */
#define PW_ITERATIONS_MAX	5000000UL

enum pw_verdict {
	PW_OK,		/* the password matches */
	PW_MISMATCH,	/* it does not */
	PW_UNUSABLE	/* the stored hash is no pbkdf2_sha256 we can check,
			   or costs more than PW_ITERATIONS_MAX */
};

/*
 * Hash pass (len bytes of UTF-8) with a fresh 22-character salt and the
 * given iterations into out (PW_HASH_MAX bytes).  Returns 0, or -1 (logged)
 * if no random bytes could be had.
 */
int	pw_hash(const char *pass, size_t len, unsigned long iterations,
	    char out[PW_HASH_MAX]);

/*
 * Check pass against a stored hash.  *iterations is set to the hash's
 * iteration count (0 if unusable), so the caller can decide to re-hash.
 */
enum pw_verdict pw_verify(const char *pass, size_t len, const char *encoded,
	    unsigned long *iterations);

/* Non-zero if encoded is a hash pw_verify can check (authctl's import). */
int	pw_usable(const char *encoded);

/*
 * The iteration count a pbkdf2_sha256 hash states, even one above
 * PW_ITERATIONS_MAX (then PW_ITERATIONS_MAX + 1), or 0 if encoded is no
 * such hash: for authctl to say which hashes cost more than configured.
 */
unsigned long pw_iterations(const char *encoded);

/*
 * Spend the time of one verification at the given cost without a hash to
 * check: what login does for an unknown user, so timing tells nothing.
 */
void	pw_waste(const char *pass, size_t len, unsigned long iterations);

#endif
