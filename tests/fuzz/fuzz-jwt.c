/*
 * libFuzzer harness: jwt_verify() on arbitrary tokens, and jwt_sign() ->
 * jwt_verify() round trips.  The first byte picks the mode:
 *
 *	0 mod 3	the rest is a token, verified under FUZZ_KEY as both types
 *		at several times ("now"s around the vectors' claims, the
 *		clock's extremes)
 *	1 mod 3	the rest is "header JSON" NUL "payload JSON" (no NUL: the
 *		whole rest is the payload under {"alg":"HS256","typ":"JWT"}),
 *		base64url-encoded and signed here with FUZZ_KEY: a correct
 *		signature over any claims, so the claim checks are reached
 *	2 mod 3	the rest gives a user id, a time and a lifetime for
 *		jwt_sign(), and the token it makes must verify as it should
 *
 * The invariants are SPEC "Tokens": nothing but a properly signed HS256
 * token without a byte-order mark, with a finite future exp, no future
 * iat or nbf, the right token_type, a jti and an integral user_id is
 * JWT_OK; one token is never good as both types;
 * another key is always JWT_BAD_SIG; the answer is the same twice.
 */
#define _GNU_SOURCE	/* memmem */

#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "crypto.h"
#include "fuzz.h"
#include "jwt.h"

#define OTHER_KEY	"another-key-of-at-least-32-bytes-0123456789"
#define TIME_MAX	(1LL << 40)	/* 36812 AD: beyond any clock */
#define TTL_MAX		(3650LL * 86400)	/* conf.c's bound */
#define ID_LIMIT	9007199254740992LL	/* 2^53: what jwt_sign signs */

/* Around the vectors' iat (1764000000) and exp (1764000300, 4102444800). */
static const long long nows[] = {
	0, 1, -1, 1764000000, 1764000299, 1764000300, 4102444799, 4102444800,
	LLONG_MAX, LLONG_MIN,
};

static enum jwt_verdict
verify(const char *tok, size_t len, const char *key, enum jwt_type type,
    long long now, long long *id)
{
	enum jwt_verdict v, again;
	struct jwt_claims c = { 0 }, c2 = { 0 };

	v = jwt_verify(tok, len, key, strlen(key), type, now, &c);
	*id = c.user_id;
	if ((int)v < JWT_OK || (int)v > JWT_BAD_USER)
		fuzz_fail("jwt_verify: verdict %d", (int)v);
	again = jwt_verify(tok, len, key, strlen(key), type, now, &c2);
	if (again != v || (v == JWT_OK && (c2.user_id != c.user_id ||
	    c2.has_iat != c.has_iat || c2.iat != c.iat)))
		fuzz_fail("jwt_verify: %d then %d for the same token", (int)v,
		    (int)again);
	return v;
}

/* The member name of o, the last one as Python's json keeps it. */
static const cJSON *
last(const cJSON *o, const char *name)
{
	const cJSON	*c, *found = NULL;

	for (c = o != NULL ? o->child : NULL; c != NULL; c = c->next)
		if (c->string != NULL && strcmp(c->string, name) == 0)
			found = c;
	return found;
}

/*
 * A token jwt_verify() let through as type at now: what SPEC "Tokens"
 * demands of it must hold of the header and payload texts it was made of
 * (NULL when not known).
 */
static void
accepted(const char *htext, size_t hlen, const char *ptext, size_t plen,
    enum jwt_type type, long long now, long long id)
{
	cJSON		*h, *p;
	const cJSON	*c;

	if (htext == NULL)
		return;
	if ((hlen >= 3 && memcmp(htext, "\xef\xbb\xbf", 3) == 0) ||
	    (plen >= 3 && memcmp(ptext, "\xef\xbb\xbf", 3) == 0))
		fuzz_fail("accepted a header or payload with a byte-order mark");
	h = cJSON_ParseWithLength(htext, hlen);
	p = cJSON_ParseWithLength(ptext, plen);
	if (!cJSON_IsObject(h) || !cJSON_IsObject(p))
		fuzz_fail("accepted a token whose header or payload cJSON "
		    "cannot read as an object");
	c = last(h, "alg");
	if (!cJSON_IsString(c) || strcmp(c->valuestring, "HS256") != 0 ||
	    last(h, "crit") != NULL)
		fuzz_fail("accepted a header that is not HS256 without crit");
	c = last(p, "exp");
	if (!cJSON_IsNumber(c) || !(c->valuedouble > (double)now) ||
	    !isfinite(c->valuedouble))
		fuzz_fail("accepted a token without a finite future exp at %lld",
		    now);
	if (((c = last(p, "iat")) != NULL && (!cJSON_IsNumber(c) ||
	    c->valuedouble > (double)now || !isfinite(c->valuedouble))) ||
	    ((c = last(p, "nbf")) != NULL && (!cJSON_IsNumber(c) ||
	    c->valuedouble > (double)now || !isfinite(c->valuedouble))))
		fuzz_fail("accepted a token issued after %lld", now);
	c = last(p, "jti");
	if (!cJSON_IsString(c) || *c->valuestring == '\0')
		fuzz_fail("accepted a token without a jti");
	c = last(p, "token_type");
	if (!cJSON_IsString(c) || strcmp(c->valuestring,
	    type == JWT_ACCESS ? "access" : "refresh") != 0)
		fuzz_fail("accepted a token of the wrong type");
	c = last(p, "user_id");
	if (!cJSON_IsNumber(c) || c->valuedouble != (double)id ||
	    c->valuedouble != floor(c->valuedouble))
		fuzz_fail("accepted a user_id that is not %lld", id);
	cJSON_Delete(h);
	cJSON_Delete(p);
}

/* Verify tok at every now as both types, under the key and another. */
static void
verify_all(const char *tok, size_t len, const char *htext, size_t hlen,
    const char *ptext, size_t plen, int is_signed)
{
	enum jwt_verdict v[2];
	long long	 id[2], other;
	size_t		 i;
	int		 type;

	for (i = 0; i < sizeof(nows) / sizeof(nows[0]); i++) {
		for (type = 0; type < 2; type++) {
			v[type] = verify(tok, len, FUZZ_KEY,
			    (enum jwt_type)type, nows[i], &id[type]);
			if (v[type] == JWT_OK)
				accepted(htext, hlen, ptext, plen,
				    (enum jwt_type)type, nows[i], id[type]);
			if (is_signed && v[type] == JWT_BAD_SIG)
				fuzz_fail("a token signed with the key is "
				    "JWT_BAD_SIG");
			if (v[type] == JWT_OK &&
			    verify(tok, len, OTHER_KEY, (enum jwt_type)type,
			    nows[i], &other) != JWT_BAD_SIG)
				fuzz_fail("a token good under the key is not "
				    "JWT_BAD_SIG under another");
		}
		if (v[0] == JWT_OK && v[1] == JWT_OK)
			fuzz_fail("one token is good as access and as refresh");
	}
}

/* Mode 1: sign the header and payload texts given with the key. */
static void
forge(const char *s, size_t len)
{
	static const char std[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
	unsigned char	 mac[CRYPTO_SHA256_LEN];
	const char	*h = std, *p = s, *nul;
	size_t		 hlen = strlen(std), plen = len, sz, n;
	char		*tok;
	int		 k;

	if ((nul = memchr(s, '\0', len)) != NULL) {
		h = s;
		hlen = (size_t)(nul - s);
		p = nul + 1;
		plen = len - hlen - 1;
	}
	sz = 4 * (hlen + plen) / 3 + 64 + 8;
	if ((tok = malloc(sz)) == NULL)
		fuzz_fail("forge: out of memory");
	if ((k = crypto_b64_encode(h, hlen, tok, sz, 1)) < 0)
		fuzz_fail("forge: base64 of the header");
	n = (size_t)k;
	tok[n++] = '.';
	if ((k = crypto_b64_encode(p, plen, tok + n, sz - n, 1)) < 0)
		fuzz_fail("forge: base64 of the payload");
	n += (size_t)k;
	crypto_hmac_sha256(FUZZ_KEY, strlen(FUZZ_KEY), tok, n, mac);
	tok[n++] = '.';
	if ((k = crypto_b64_encode(mac, sizeof(mac), tok + n, sz - n, 1)) < 0)
		fuzz_fail("forge: base64 of the signature");
	n += (size_t)k;
	/*
	 * cJSON reads "\u0000" as a NUL that ends the key or string, where
	 * jwt_verify() marks it (json_check()): "alg\u0000" is no "alg"
	 * there, and would be here.  Claims are compared without those.
	 */
	if (memmem(h, hlen, "\\u0000", 6) != NULL ||
	    memmem(p, plen, "\\u0000", 6) != NULL)
		verify_all(tok, n, NULL, 0, NULL, 0, 1);
	else
		verify_all(tok, n, h, hlen, p, plen, 1);
	free(tok);
}

static long long
take(const uint8_t **p, const uint8_t *end)
{
	unsigned long long v = 0;
	int		 i;

	for (i = 0; i < 8; i++)
		v = v << 8 | (*p < end ? *(*p)++ : 0);
	return (long long)v;
}

/*
 * Mode 2: jwt_sign() then jwt_verify().  Times and lifetimes are kept to
 * what a caller can pass (time(NULL) of any plausible clock, a lifetime
 * conf.c accepts), where now + ttl cannot overflow; the id is any 64 bits.
 */
static void
round_trip(const uint8_t *p, const uint8_t *end)
{
	char		 tok[FUZZ_TOKEN_MAX];
	long long	 id = take(&p, end), now = take(&p, end);
	long long	 ttl = take(&p, end), got;
	enum jwt_type	 type = p < end && (*p & 1) ? JWT_REFRESH : JWT_ACCESS;
	enum jwt_type	 other = type == JWT_ACCESS ? JWT_REFRESH : JWT_ACCESS;
	enum jwt_verdict v;
	size_t		 len;

	now %= TIME_MAX;
	ttl = 1 + (long long)((unsigned long long)ttl % TTL_MAX);
	/* An id a double-reading verifier might misread is never signed. */
	if (id <= -ID_LIMIT || id >= ID_LIMIT) {
		if (jwt_sign(FUZZ_KEY, strlen(FUZZ_KEY), type, id, now, ttl,
		    tok, sizeof(tok), NULL) != -1)
			fuzz_fail("round trip: id %lld beyond 2^53 was signed",
			    id);
		return;
	}
	fuzz_sign(tok, type, id, now, ttl);
	len = strlen(tok);
	v = verify(tok, len, FUZZ_KEY, type, now, &got);
	if (v != JWT_OK || got != id)
		fuzz_fail("round trip: id %lld at %lld for %lld s: "
		    "verdict %d, id %lld", id, now, ttl, (int)v, got);
	if ((v = verify(tok, len, FUZZ_KEY, other, now, &got)) !=
	    JWT_WRONG_TYPE)
		fuzz_fail("round trip: the other type is verdict %d", (int)v);
	if ((v = verify(tok, len, FUZZ_KEY, type, now + ttl, &got)) !=
	    JWT_EXPIRED)
		fuzz_fail("round trip: at exp the verdict is %d", (int)v);
	if ((v = verify(tok, len, FUZZ_KEY, type, now - 1, &got)) !=
	    JWT_NOT_YET)
		fuzz_fail("round trip: before iat the verdict is %d", (int)v);
	if ((v = verify(tok, len, OTHER_KEY, type, now, &got)) != JWT_BAD_SIG)
		fuzz_fail("round trip: another key is verdict %d", (int)v);
	if ((v = verify(tok, len - 1, FUZZ_KEY, type, now, &got)) == JWT_OK)
		fuzz_fail("round trip: a truncated token is good");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	switch (data[0] % 3) {
	case 0:
		verify_all((const char *)data + 1, size - 1, NULL, 0, NULL, 0,
		    0);
		break;
	case 1:
		forge((const char *)data + 1, size - 1);
		break;
	default:
		round_trip(data + 1, data + size);
		break;
	}
	return 0;
}
