/*
 * JSON Web Tokens as djangorestframework-simplejwt issues them: JWS compact
 * serialisation, HS256, claims token_type, exp, iat, jti, user_id
 * (SPEC "Tokens").
 */
#ifndef JWT_H
#define JWT_H

#include <stddef.h>

#define JWT_MAX		8192	/* a longer token is malformed */

enum jwt_type {
	JWT_ACCESS,
	JWT_REFRESH
};

/* Why a token was refused; only JWT_OK lets it through. */
enum jwt_verdict {
	JWT_OK,
	JWT_MALFORMED,		/* segments, base64url, JSON, a BOM, size */
	JWT_BAD_ALG,		/* alg is not HS256, or a crit header */
	JWT_BAD_SIG,		/* the HMAC does not match */
	JWT_EXPIRED,		/* exp missing, no finite 64-bit time, or past */
	JWT_NOT_YET,		/* iat or nbf in the future, or no such time */
	JWT_WRONG_TYPE,		/* token_type is not the one asked for */
	JWT_NO_ID,		/* jti missing, empty, not a string, or longer
				   than JWT_JTI_MAX bytes */
	JWT_BAD_USER		/* user_id missing or no 64-bit integer literal */
};

#define JWT_JTI_LEN	32	/* the jti we make: 32 lowercase hex digits */
#define JWT_JTI_MAX	255	/* a longer jti (another signer's) is refused */

/*
 * Sign a token of type for user_id, issued at now and valid for ttl
 * seconds, with a fresh random jti, into out (outsz bytes, NUL-terminated);
 * the jti is copied into jti (JWT_JTI_LEN + 1 bytes) unless it is NULL.
 * Returns 0, or -1 (logged) if randomness, memory or outsz fell short.
 */
int	jwt_sign(const void *key, size_t keylen, enum jwt_type type,
	    long long user_id, long long now, long long ttl, char *out,
	    size_t outsz, char *jti);

/* What a verified token says that its user's checks need. */
struct jwt_claims {
	long long	 user_id;
	int		 has_iat;
	double		 iat;		/* issued at, when has_iat */
	long long	 exp;		/* expires, whole seconds (rounded up) */
	char		 jti[JWT_JTI_MAX + 1];
};

/*
 * Verify token (len bytes) as a token of type at time now, under key.  On
 * JWT_OK *claims is set.  The signature is checked before the payload is
 * parsed, in constant time.
 */
enum jwt_verdict jwt_verify(const char *token, size_t len, const void *key,
	    size_t keylen, enum jwt_type type, long long now,
	    struct jwt_claims *claims);

/*
 * The user_id token (len bytes) claims, NOT verified: only to read its
 * user with the key in one go (session_open); jwt_verify still judges the
 * token, and the claim as jwt_verify reads it.  Returns 0 with *id set,
 * or -1 if the token holds no such claim.
 */
int	jwt_claimed_user(const char *token, size_t len, long long *id);

#endif
