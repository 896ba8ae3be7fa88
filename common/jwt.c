/*
 * HS256 JWTs, byte-compatible with PyJWT (the signer simplejwt uses):
 * header {"alg":"HS256","typ":"JWT"}, compact JSON payload.
 */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "crypto.h"
#include "json.h"
#include "jwt.h"
#include "num.h"

/* base64url of {"alg":"HS256","typ":"JWT"}, PyJWT's header byte for byte. */
#define HEADER_B64	"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
#define JTI_BYTES	(JWT_JTI_LEN / 2)	/* random bytes, two hex digits each */
#define SIG_B64_LEN	43	/* 32 bytes of base64url, no padding */
#define PART_MAX	(JWT_MAX * 3 / 4 + 3)

/*
 * No token names a user_id from 2^53 up: a reader that takes JSON numbers
 * as doubles (cJSON, JavaScript) could silently read a neighbouring user.
 * jwt_verify reads the claim as written, so it is exact either way.
 */
#define USER_ID_LIMIT	9007199254740992.0

static const char *const type_names[] = {
	"access",	/* JWT_ACCESS */
	"refresh",	/* JWT_REFRESH */
};

/*
 * Add an integer claim as its exact decimal digits: cJSON prints numbers
 * with 15 significant digits when that reads back within a relative
 * epsilon, which rounds integers from about 2^52 (found by fuzz-jwt).
 */
static cJSON *
add_integer(cJSON *o, const char *name, long long v)
{
	char	 digits[24];

	snprintf(digits, sizeof(digits), "%lld", v);
	return cJSON_AddRawToObject(o, name, digits);
}

int
jwt_sign(const void *key, size_t keylen, enum jwt_type type,
    long long user_id, long long now, long long ttl, char *out, size_t outsz,
    char *jti_out)
{
	unsigned char	 rnd[JTI_BYTES], mac[CRYPTO_SHA256_LEN];
	char		 jti[JWT_JTI_LEN + 1];
	cJSON		*claims = NULL;
	char		*payload = NULL;
	size_t		 len, i;
	int		 n, rc = -1;

	/* What jwt_verify would refuse is never signed. */
	if ((double)user_id >= USER_ID_LIMIT || (double)user_id <= -USER_ID_LIMIT) {
		fprintf(stderr, "jwt_sign: user_id %lld beyond 2^53\n", user_id);
		return -1;
	}
	if (crypto_random(rnd, sizeof(rnd)) == -1)
		return -1;
	for (i = 0; i < sizeof(rnd); i++)
		snprintf(jti + 2 * i, 3, "%02x", rnd[i]);
	/* simplejwt's claim order: token_type, exp, iat, jti, user_id. */
	if ((claims = cJSON_CreateObject()) == NULL ||
	    cJSON_AddStringToObject(claims, "token_type", type_names[type]) ==
	    NULL ||
	    add_integer(claims, "exp", now + ttl) == NULL ||
	    add_integer(claims, "iat", now) == NULL ||
	    cJSON_AddStringToObject(claims, "jti", jti) == NULL ||
	    add_integer(claims, "user_id", user_id) == NULL ||
	    (payload = cJSON_PrintUnformatted(claims)) == NULL) {
		fprintf(stderr, "jwt_sign: out of memory\n");
		goto out;
	}
	len = strlen(HEADER_B64);
	if (outsz < len + 1) {
		fprintf(stderr, "jwt_sign: no room\n");
		goto out;
	}
	memcpy(out, HEADER_B64 ".", len + 1);
	len++;
	if ((n = crypto_b64_encode(payload, strlen(payload), out + len,
	    outsz - len, 1)) < 0) {
		fprintf(stderr, "jwt_sign: no room\n");
		goto out;
	}
	len += (size_t)n;
	crypto_hmac_sha256(key, keylen, out, len, mac);
	if (len + 2 + SIG_B64_LEN > outsz) {
		fprintf(stderr, "jwt_sign: no room\n");
		goto out;
	}
	out[len++] = '.';
	if (crypto_b64_encode(mac, sizeof(mac), out + len, outsz - len, 1) < 0)
		goto out;
	if (jti_out != NULL)
		memcpy(jti_out, jti, sizeof(jti));
	rc = 0;
out:
	cJSON_free(payload);
	cJSON_Delete(claims);
	return rc;
}

/*
 * Decode one base64url segment into buf (PART_MAX + 1 bytes, its length in
 * *n) and parse it as a JSON object.
 */
static cJSON *
segment(const char *s, size_t len, unsigned char *buf, int *n)
{
	cJSON		*o;

	if (len == 0 || (*n = crypto_b64_decode(s, len, buf, PART_MAX, 1)) < 0)
		return NULL;
	buf[*n] = '\0';
	/*
	 * cJSON would stop at a NUL and accept the prefix, and skips a
	 * byte-order mark, which no JWT holds (SPEC "Tokens").
	 */
	if (memchr(buf, '\0', (size_t)*n) != NULL ||
	    (*n >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0) ||
	    json_check((char *)buf, (size_t)*n) == -1)
		return NULL;
	o = cJSON_ParseWithLengthOpts((const char *)buf, (size_t)*n + 1, NULL,
	    1);
	if (o != NULL && !cJSON_IsObject(o)) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

/*
 * A time claim: a number, finite and within 64-bit seconds, so that
 * "exp": 1e400 (infinity) is no "never" (SPEC "Tokens").
 */
static int
is_time(const cJSON *c)
{
	/* 2^63; the comparison is false for infinity and NaN too. */
	return cJSON_IsNumber(c) && fabs(c->valuedouble) < 9223372036854775808.0;
}

/* A claim that must, when present, be a time no later than now. */
static int
not_future(const cJSON *payload, const char *name, long long now)
{
	const cJSON	*c = json_member(payload, name);

	return c == NULL || (is_time(c) && c->valuedouble <= (double)now);
}

/*
 * The user_id claim c of payload (parsed from the len bytes at text): an
 * integer literal that fits in 64 bits, judged as written, since cJSON
 * reads 0.99999999999999999999 and 1e0 as the double 1.  Returns 0 with
 * *id set, or -1.
 */
static int
user_id(const char *text, size_t len, const cJSON *payload, const cJSON *c,
    long long *id)
{
	unsigned long long v;
	size_t		 start, n;
	int		 neg;

	if (!cJSON_IsNumber(c) ||
	    json_member_text(text, len, payload, c, &start, &n) == -1)
		return -1;
	neg = n > 0 && text[start] == '-';
	/* 2^63 - 1, or 2^63 below zero. */
	if (num_parse(text + start + neg, n - (size_t)neg,
	    (unsigned long long)LLONG_MAX + (unsigned)neg, &v) != NUM_OK)
		return -1;
	*id = neg ? (v == 0 ? 0 : -(long long)(v - 1) - 1) : (long long)v;
	return 0;
}

int
jwt_claimed_user(const char *token, size_t len, long long *id)
{
	const char	*dot1, *dot2;
	unsigned char	 text[PART_MAX + 1];
	cJSON		*payload;
	int		 n, rc;

	if (len == 0 || len > JWT_MAX || memchr(token, '\0', len) != NULL ||
	    (dot1 = memchr(token, '.', len)) == NULL ||
	    (dot2 = memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - token))) ==
	    NULL ||
	    (payload = segment(dot1 + 1, (size_t)(dot2 - dot1 - 1), text,
	    &n)) == NULL)
		return -1;
	rc = user_id((const char *)text, (size_t)n, payload,
	    json_member(payload, "user_id"), id);
	cJSON_Delete(payload);
	return rc;
}

enum jwt_verdict
jwt_verify(const char *token, size_t len, const void *key, size_t keylen,
    enum jwt_type type, long long now, struct jwt_claims *claims)
{
	const char	*dot1, *dot2;
	const cJSON	*c;
	cJSON		*header = NULL, *payload = NULL;
	unsigned char	 mac[CRYPTO_SHA256_LEN], sig[CRYPTO_SHA256_LEN + 3];
	unsigned char	 text[PART_MAX + 1];
	enum jwt_verdict v = JWT_MALFORMED;
	int		 n;

	if (len == 0 || len > JWT_MAX || memchr(token, '\0', len) != NULL)
		return JWT_MALFORMED;
	/* Exactly three segments: two dots, the last one not followed by more. */
	if ((dot1 = memchr(token, '.', len)) == NULL ||
	    (dot2 = memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - token))) ==
	    NULL || memchr(dot2 + 1, '.', len - (size_t)(dot2 + 1 - token)) !=
	    NULL)
		return JWT_MALFORMED;

	if ((header = segment(token, (size_t)(dot1 - token), text, &n)) == NULL)
		goto out;
	c = json_member(header, "alg");
	if (!cJSON_IsString(c) || strcmp(c->valuestring, "HS256") != 0 ||
	    json_member(header, "crit") != NULL) {
		v = JWT_BAD_ALG;
		goto out;
	}
	/* The signature before anything in the payload is believed. */
	if (crypto_b64_decode(dot2 + 1, len - (size_t)(dot2 + 1 - token), sig,
	    sizeof(sig), 1) != CRYPTO_SHA256_LEN) {
		v = JWT_BAD_SIG;
		goto out;
	}
	crypto_hmac_sha256(key, keylen, token, (size_t)(dot2 - token), mac);
	if (!crypto_equal(mac, sig, sizeof(mac))) {
		v = JWT_BAD_SIG;
		goto out;
	}
	if ((payload = segment(dot1 + 1, (size_t)(dot2 - dot1 - 1), text,
	    &n)) == NULL)
		goto out;

	c = json_member(payload, "exp");
	if (!is_time(c) || !(c->valuedouble > (double)now)) {
		v = JWT_EXPIRED;
		goto out;
	}
	if (!not_future(payload, "iat", now) ||
	    !not_future(payload, "nbf", now)) {
		v = JWT_NOT_YET;
		goto out;
	}
	c = json_member(payload, "token_type");
	if (!cJSON_IsString(c) || strcmp(c->valuestring, type_names[type]) != 0) {
		v = JWT_WRONG_TYPE;
		goto out;
	}
	/* simplejwt refuses a token without one: "Token has no id". */
	c = json_member(payload, "jti");
	if (!cJSON_IsString(c) || *c->valuestring == '\0' ||
	    strlen(c->valuestring) > JWT_JTI_MAX) {
		v = JWT_NO_ID;
		goto out;
	}
	memcpy(claims->jti, c->valuestring, strlen(c->valuestring) + 1);
	c = json_member(payload, "exp");
	/* A fraction of a second still belongs to it: rounded up. */
	claims->exp = (long long)ceil(c->valuedouble);
	if (user_id((const char *)text, (size_t)n, payload,
	    json_member(payload, "user_id"), &claims->user_id) == -1) {
		v = JWT_BAD_USER;
		goto out;
	}
	c = json_member(payload, "iat");
	claims->has_iat = c != NULL;	/* a number: not_future() saw to it */
	claims->iat = c != NULL ? c->valuedouble : 0;
	v = JWT_OK;
out:
	crypto_cleanse(mac, sizeof(mac));
	cJSON_Delete(header);
	cJSON_Delete(payload);
	return v;
}
