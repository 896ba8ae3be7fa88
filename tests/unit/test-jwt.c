/*
 * jwt.c: RFC 7515 appendix A.1, tokens made by PyJWT for simplejwt
 * (tests/vectors.json), our own tokens, and one test per attack.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "crypto.h"
#include "jwt.h"
#include "unit.h"

/* vectors.json: simplejwt_tokens */
#define VKEY	"django-insecure-vector-key-7f3a9c2e41b86d05e1f4a7c9b3d2e8f0"
#define VACCESS	"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ0b2tlbl90eXBlIjoiYWNjZXNzIiwiZXhwIjo0MTAyNDQ0ODAwLCJpYXQiOjE3NjQwMDAwMDAsImp0aSI6IjAxMjM0NTY3ODlhYmNkZWYwMTIzNDU2Nzg5YWJjZGVmIiwidXNlcl9pZCI6NDJ9.lbD9SjDW3YwXDVBvsreYzpQu5ZpEe9EckwX_ez5uJLM"
#define VREFRESH "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ0b2tlbl90eXBlIjoicmVmcmVzaCIsImV4cCI6NDEwMjQ0NDgwMCwiaWF0IjoxNzY0MDAwMDAwLCJqdGkiOiJmZWRjYmE5ODc2NTQzMjEwZmVkY2JhOTg3NjU0MzIxMCIsInVzZXJfaWQiOjQyfQ.8TbAWAt-xUXjRuU5NaLlPjZt2ZoBy1JxyrhmiBs1JlM"
#define VEXPIRED "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ0b2tlbl90eXBlIjoiYWNjZXNzIiwiZXhwIjoxNzY0MDAwMzAwLCJpYXQiOjE3NjQwMDAwMDAsImp0aSI6IjAwMTEyMjMzNDQ1NTY2Nzc4ODk5YWFiYmNjZGRlZWZmIiwidXNlcl9pZCI6NDJ9.DLa7Vsv62RnUK4-UPJVO43MoxO8X2E3Svc3i1mEJirc"

#define NOW	1764000100LL	/* after the vectors' iat, before VEXPIRED's exp */
#define KEY	"unit-test-key-0123456789abcdef0123456789"

static enum jwt_verdict
verify(const char *tok, const char *key, enum jwt_type type, long long now,
    long long *id)
{
	struct jwt_claims c = { 0 };
	enum jwt_verdict v;

	v = jwt_verify(tok, strlen(tok), key, strlen(key), type, now, &c);
	*id = c.user_id;
	return v;
}

/* A token over arbitrary header and payload JSON, signed with key. */
static void
forge(const char *header, const char *payload, const char *key, char *out,
    size_t outsz)
{
	unsigned char	 mac[32];
	size_t		 n;

	n = (size_t)crypto_b64_encode(header, strlen(header), out, outsz, 1);
	out[n++] = '.';
	n += (size_t)crypto_b64_encode(payload, strlen(payload), out + n,
	    outsz - n, 1);
	crypto_hmac_sha256(key, strlen(key), out, n, mac);
	out[n++] = '.';
	crypto_b64_encode(mac, sizeof(mac), out + n, outsz - n, 1);
}

static void
test_rfc7515_a1(void)
{
	/* The JWK "k" of RFC 7515 A.1, base64url-decoded. */
	static const char k[] = "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T"
	    "-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow";
	static const char tok[] = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9."
	    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFt"
	    "cGxlLmNvbS9pc19yb290Ijp0cnVlfQ."
	    "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
	unsigned char	 key[64], mac[32];
	char		 sig[64], bad[sizeof(tok)];
	struct jwt_claims id;
	int		 klen;

	klen = crypto_b64_decode(k, strlen(k), key, sizeof(key), 1);
	ASSERT(klen == 64);
	crypto_hmac_sha256(key, (size_t)klen, tok,
	    (size_t)(strrchr(tok, '.') - tok), mac);
	crypto_b64_encode(mac, sizeof(mac), sig, sizeof(sig), 1);
	ASSERT(strcmp(sig, strrchr(tok, '.') + 1) == 0);
	/*
	 * Through jwt_verify: the signature holds, so the refusal is about
	 * the claims (no token_type), not the signature.
	 */
	ASSERT(jwt_verify(tok, strlen(tok), key, (size_t)klen, JWT_ACCESS,
	    1300819000, &id) == JWT_WRONG_TYPE);
	ASSERT(jwt_verify(tok, strlen(tok), key, (size_t)klen, JWT_ACCESS,
	    1300819380, &id) == JWT_EXPIRED);
	memcpy(bad, tok, sizeof(tok));
	bad[sizeof(tok) - 3] = bad[sizeof(tok) - 3] == 'X' ? 'Y' : 'X';
	ASSERT(jwt_verify(bad, strlen(bad), key, (size_t)klen, JWT_ACCESS,
	    1300819000, &id) == JWT_BAD_SIG);
}

static void
test_simplejwt_vectors(void)
{
	long long	 id = 0;

	ASSERT(verify(VACCESS, VKEY, JWT_ACCESS, NOW, &id) == JWT_OK && id == 42);
	id = 0;
	ASSERT(verify(VREFRESH, VKEY, JWT_REFRESH, NOW, &id) == JWT_OK &&
	    id == 42);
	ASSERT(verify(VACCESS, VKEY, JWT_REFRESH, NOW, &id) == JWT_WRONG_TYPE);
	ASSERT(verify(VREFRESH, VKEY, JWT_ACCESS, NOW, &id) == JWT_WRONG_TYPE);
	ASSERT(verify(VEXPIRED, VKEY, JWT_ACCESS, NOW, &id) == JWT_OK);
	ASSERT(verify(VEXPIRED, VKEY, JWT_ACCESS, 1764000300, &id) ==
	    JWT_EXPIRED);
	ASSERT(verify(VACCESS, KEY, JWT_ACCESS, NOW, &id) == JWT_BAD_SIG);
	/* iat 1764000000 lies in the future one second before it. */
	ASSERT(verify(VACCESS, VKEY, JWT_ACCESS, 1763999999, &id) ==
	    JWT_NOT_YET);
}

static void
test_sign(void)
{
	char		 tok[1024], payload[512];
	unsigned char	 raw[512];
	const char	*dot1, *dot2;
	long long	 id = 0;
	int		 n;
	cJSON		*o, *c;

	ASSERT(jwt_sign(KEY, strlen(KEY), JWT_ACCESS, 7, NOW, 300, tok,
	    sizeof(tok), NULL) == 0);
	ASSERT(strncmp(tok, "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.", 37) == 0);
	ASSERT(verify(tok, KEY, JWT_ACCESS, NOW, &id) == JWT_OK && id == 7);
	ASSERT(verify(tok, KEY, JWT_ACCESS, NOW + 300, &id) == JWT_EXPIRED);
	/* The header decodes to PyJWT's bytes exactly. */
	n = crypto_b64_decode(tok, 36, raw, sizeof(raw), 1);
	ASSERT(n == 27 && memcmp(raw, "{\"alg\":\"HS256\",\"typ\":\"JWT\"}",
	    27) == 0);
	/* simplejwt's claims, in its order. */
	dot1 = strchr(tok, '.');
	dot2 = strchr(dot1 + 1, '.');
	n = crypto_b64_decode(dot1 + 1, (size_t)(dot2 - dot1 - 1), raw,
	    sizeof(raw) - 1, 1);
	ASSERT(n > 0);
	raw[n > 0 ? n : 0] = '\0';
	ASSERT(strncmp((char *)raw, "{\"token_type\":\"access\",\"exp\":1764000400,"
	    "\"iat\":1764000100,\"jti\":\"", 61) == 0);
	o = cJSON_Parse((char *)raw);
	c = cJSON_GetObjectItemCaseSensitive(o, "jti");
	ASSERT(cJSON_IsString(c) && strlen(c->valuestring) == 32 &&
	    strspn(c->valuestring, "0123456789abcdef") == 32);
	ASSERT(strstr((char *)raw, "\"user_id\":7}") != NULL);
	cJSON_Delete(o);
	ASSERT(jwt_sign(KEY, strlen(KEY), JWT_REFRESH, 7, NOW, 86400, tok,
	    sizeof(tok), NULL) == 0);
	ASSERT(verify(tok, KEY, JWT_REFRESH, NOW, &id) == JWT_OK);
	ASSERT(verify(tok, KEY, JWT_ACCESS, NOW, &id) == JWT_WRONG_TYPE);
	/* Two tokens never share a jti. */
	ASSERT(jwt_sign(KEY, strlen(KEY), JWT_ACCESS, 7, NOW, 300, payload,
	    sizeof(payload), NULL) == 0);
	ASSERT(jwt_sign(KEY, strlen(KEY), JWT_ACCESS, 7, NOW, 300, tok,
	    sizeof(tok), NULL) == 0 && strcmp(tok, payload) != 0);
	/* Too small a buffer is an error, not an overflow. */
	ASSERT(jwt_sign(KEY, strlen(KEY), JWT_ACCESS, 7, NOW, 300, tok, 100, NULL) ==
	    -1);
}

#define HS	"{\"alg\":\"HS256\",\"typ\":\"JWT\"}"
#define CLAIMS	"{\"token_type\":\"access\",\"exp\":4102444800,\"iat\":1764000000," \
		"\"jti\":\"0123456789abcdef0123456789abcdef\",\"user_id\":5}"

static enum jwt_verdict
forged(const char *header, const char *payload)
{
	char		 tok[4096];
	long long	 id;

	forge(header, payload, KEY, tok, sizeof(tok));
	return verify(tok, KEY, JWT_ACCESS, NOW, &id);
}

static void
test_attacks(void)
{
	char		 tok[4096], *big;
	long long	 id = 0;
	size_t		 n;

	ASSERT(forged(HS, CLAIMS) == JWT_OK);
	/* alg none, with and without a signature */
	forge("{\"alg\":\"none\",\"typ\":\"JWT\"}", CLAIMS, KEY, tok, sizeof(tok));
	ASSERT(verify(tok, KEY, JWT_ACCESS, NOW, &id) == JWT_BAD_ALG);
	*(strrchr(tok, '.') + 1) = '\0';
	ASSERT(verify(tok, KEY, JWT_ACCESS, NOW, &id) == JWT_BAD_ALG);
	/* another alg; alg in the wrong case; no alg; alg not a string */
	ASSERT(forged("{\"alg\":\"HS512\",\"typ\":\"JWT\"}", CLAIMS) == JWT_BAD_ALG);
	ASSERT(forged("{\"alg\":\"RS256\",\"typ\":\"JWT\"}", CLAIMS) == JWT_BAD_ALG);
	ASSERT(forged("{\"alg\":\"hs256\"}", CLAIMS) == JWT_BAD_ALG);
	ASSERT(forged("{\"typ\":\"JWT\"}", CLAIMS) == JWT_BAD_ALG);
	ASSERT(forged("{\"alg\":[\"HS256\"]}", CLAIMS) == JWT_BAD_ALG);
	/* crit, even naming nothing */
	ASSERT(forged("{\"alg\":\"HS256\",\"crit\":[\"exp\"]}", CLAIMS) ==
	    JWT_BAD_ALG);
	ASSERT(forged("{\"alg\":\"HS256\",\"crit\":[]}", CLAIMS) == JWT_BAD_ALG);
	/* duplicate alg: the last one counts, as in Python */
	ASSERT(forged("{\"alg\":\"HS256\",\"alg\":\"none\"}", CLAIMS) ==
	    JWT_BAD_ALG);
	/* header and payload that are not JSON objects */
	ASSERT(forged("[]", CLAIMS) == JWT_MALFORMED);
	ASSERT(forged("not json", CLAIMS) == JWT_MALFORMED);
	ASSERT(forged(HS, "[1]") == JWT_MALFORMED);
	ASSERT(forged(HS, "{\"token_type\":\"access\"") == JWT_MALFORMED);
	/* tampered payload, bad and truncated signatures */
	forge(HS, CLAIMS, KEY, tok, sizeof(tok));
	n = strlen(tok);
	tok[40] = tok[40] == 'A' ? 'B' : 'A';
	ASSERT(verify(tok, KEY, JWT_ACCESS, NOW, &id) != JWT_OK);
	forge(HS, CLAIMS, KEY, tok, sizeof(tok));
	tok[n - 5] = tok[n - 5] == 'A' ? 'B' : 'A';
	ASSERT(verify(tok, KEY, JWT_ACCESS, NOW, &id) == JWT_BAD_SIG);
	forge(HS, CLAIMS, KEY, tok, sizeof(tok));
	tok[n - 1] = '\0';
	ASSERT(verify(tok, KEY, JWT_ACCESS, NOW, &id) == JWT_BAD_SIG);
	forge(HS, CLAIMS, KEY, tok, sizeof(tok));
	strcat(tok, "=");
	ASSERT(verify(tok, KEY, JWT_ACCESS, NOW, &id) == JWT_BAD_SIG);
	/* segments: two, four, empty */
	forge(HS, CLAIMS, KEY, tok, sizeof(tok));
	*strrchr(tok, '.') = '\0';
	ASSERT(verify(tok, KEY, JWT_ACCESS, NOW, &id) == JWT_MALFORMED);
	forge(HS, CLAIMS, KEY, tok, sizeof(tok));
	strcat(tok, ".AAAA");
	ASSERT(verify(tok, KEY, JWT_ACCESS, NOW, &id) == JWT_MALFORMED);
	ASSERT(verify("..", KEY, JWT_ACCESS, NOW, &id) == JWT_MALFORMED);
	ASSERT(verify("", KEY, JWT_ACCESS, NOW, &id) == JWT_MALFORMED);
	/* a huge token */
	big = malloc(100000);
	memset(big, 'A', 99999);
	big[99999] = '\0';
	big[10] = big[20] = '.';
	ASSERT(verify(big, KEY, JWT_ACCESS, NOW, &id) == JWT_MALFORMED);
	free(big);
	/* claims */
	ASSERT(forged(HS, "{\"token_type\":\"access\",\"user_id\":5}") ==
	    JWT_EXPIRED);
	ASSERT(forged(HS, "{\"token_type\":\"access\",\"exp\":\"4102444800\","
	    "\"user_id\":5}") == JWT_EXPIRED);
	ASSERT(forged(HS, "{\"token_type\":\"access\",\"exp\":1764000100,"
	    "\"user_id\":5}") == JWT_EXPIRED);
	ASSERT(forged(HS, "{\"token_type\":\"access\",\"exp\":4102444800,"
	    "\"iat\":1764000101,\"user_id\":5}") == JWT_NOT_YET);
	ASSERT(forged(HS, "{\"token_type\":\"access\",\"exp\":4102444800,"
	    "\"iat\":\"0\",\"user_id\":5}") == JWT_NOT_YET);
	ASSERT(forged(HS, "{\"token_type\":\"access\",\"exp\":4102444800,"
	    "\"nbf\":1764000101,\"user_id\":5}") == JWT_NOT_YET);
	ASSERT(forged(HS, "{\"token_type\":\"access\",\"exp\":4102444800,"
	    "\"nbf\":1764000100,\"jti\":\"j\",\"user_id\":5}") == JWT_OK);
	ASSERT(forged(HS, "{\"exp\":4102444800,\"user_id\":5}") ==
	    JWT_WRONG_TYPE);
	/* token_type compared whole: no prefix or extension of "access" */
	ASSERT(forged(HS, "{\"token_type\":\"\",\"exp\":4102444800,"
	    "\"jti\":\"j\",\"user_id\":5}") == JWT_WRONG_TYPE);
	ASSERT(forged(HS, "{\"token_type\":\"acc\",\"exp\":4102444800,"
	    "\"jti\":\"j\",\"user_id\":5}") == JWT_WRONG_TYPE);
	ASSERT(forged(HS, "{\"token_type\":\"accessx\",\"exp\":4102444800,"
	    "\"jti\":\"j\",\"user_id\":5}") == JWT_WRONG_TYPE);
	ASSERT(forged(HS, "{\"token_type\":\"access\",\"exp\":4102444800,"
	    "\"jti\":\"j\"}") == JWT_BAD_USER);
	ASSERT(forged(HS, "{\"token_type\":\"access\",\"exp\":4102444800,"
	    "\"jti\":\"j\",\"user_id\":\"5\"}") == JWT_BAD_USER);
	ASSERT(forged(HS, "{\"token_type\":\"access\",\"exp\":4102444800,"
	    "\"jti\":\"j\",\"user_id\":5.5}") == JWT_BAD_USER);
	ASSERT(forged(HS, "{\"token_type\":\"access\",\"exp\":4102444800,"
	    "\"jti\":\"j\",\"user_id\":1e30}") == JWT_BAD_USER);
	/* read as written: beyond 2^53 too, where a double is not exact */
	ASSERT(forged(HS, "{\"token_type\":\"access\",\"exp\":4102444800,"
	    "\"jti\":\"j\",\"user_id\":9007199254740993}") == JWT_OK);
	ASSERT(forged(HS, "{\"token_type\":\"access\",\"exp\":4102444800,"
	    "\"jti\":\"j\",\"user_id\":9007199254740991}") == JWT_OK);
	/* a bad escape would make cJSON end the string early */
	ASSERT(forged(HS, "{\"token_type\":\"access\\uZZZZjunk\","
	    "\"exp\":4102444800,\"user_id\":5}") == JWT_MALFORMED);
	ASSERT(forged(HS, "{\"token_type\":\"access\\u0000junk\","
	    "\"exp\":4102444800,\"user_id\":5}") == JWT_WRONG_TYPE);
	/* order, whitespace and extra claims do not matter */
	ASSERT(forged("{ \"typ\" : \"JWT\", \"alg\" : \"HS256\", \"kid\": 1 }",
	    "{ \"user_id\": 5, \"exp\": 4102444800, \"token_type\": \"access\","
	    " \"scope\": [\"x\"], \"jti\" : \"j\" }") == JWT_OK);
}

/* A claims payload with these members after token_type and exp. */
#define EDGE(rest) "{\"token_type\":\"access\",\"exp\":4102444800," rest "}"

/* The token edges of SPEC "Tokens" that a valid signature could carry. */
static void
test_edges(void)
{
	char		 tok[4096];
	long long	 id = 0;

	/* times: finite, within 64-bit seconds */
	ASSERT(forged(HS, "{\"token_type\":\"access\",\"exp\":1e400,"
	    "\"jti\":\"j\",\"user_id\":5}") == JWT_EXPIRED);
	ASSERT(forged(HS, "{\"token_type\":\"access\",\"exp\":1e19,"
	    "\"jti\":\"j\",\"user_id\":5}") == JWT_EXPIRED);
	ASSERT(forged(HS, EDGE("\"iat\":-1e400,\"jti\":\"j\",\"user_id\":5"))
	    == JWT_NOT_YET);
	ASSERT(forged(HS, EDGE("\"nbf\":-1e400,\"jti\":\"j\",\"user_id\":5"))
	    == JWT_NOT_YET);
	ASSERT(forged(HS, EDGE("\"iat\":-1e19,\"jti\":\"j\",\"user_id\":5"))
	    == JWT_NOT_YET);
	ASSERT(forged(HS, EDGE("\"iat\":1764000000,\"jti\":\"j\",\"user_id\":5"))
	    == JWT_OK);
	/* jti: present, a non-empty string ("Token has no id") */
	ASSERT(forged(HS, EDGE("\"user_id\":5")) == JWT_NO_ID);
	ASSERT(forged(HS, EDGE("\"jti\":\"\",\"user_id\":5")) == JWT_NO_ID);
	ASSERT(forged(HS, EDGE("\"jti\":5,\"user_id\":5")) == JWT_NO_ID);
	ASSERT(forged(HS, EDGE("\"jti\":null,\"user_id\":5")) == JWT_NO_ID);
	/* user_id: an integer literal as written, within 64 bits */
	ASSERT(forged(HS, EDGE("\"jti\":\"j\",\"user_id\":0.99999999999999999999"))
	    == JWT_BAD_USER);
	ASSERT(forged(HS, EDGE("\"jti\":\"j\",\"user_id\":1e0")) == JWT_BAD_USER);
	ASSERT(forged(HS, EDGE("\"jti\":\"j\",\"user_id\":1.0")) == JWT_BAD_USER);
	ASSERT(forged(HS, EDGE("\"jti\":\"j\",\"user_id\":5E0")) == JWT_BAD_USER);
	ASSERT(forged(HS, EDGE("\"jti\":\"j\",\"user_id\":9223372036854775808"))
	    == JWT_BAD_USER);
	forge(HS, EDGE("\"jti\":\"j\",\"user_id\":9223372036854775807"), KEY, tok,
	    sizeof(tok));
	ASSERT(verify(tok, KEY, JWT_ACCESS, NOW, &id) == JWT_OK &&
	    id == 9223372036854775807LL);
	forge(HS, EDGE("\"jti\":\"j\",\"user_id\":-9223372036854775808"), KEY,
	    tok, sizeof(tok));
	ASSERT(verify(tok, KEY, JWT_ACCESS, NOW, &id) == JWT_OK &&
	    id == (-9223372036854775807LL - 1));
	/* the last of duplicate keys counts, escaped keys included */
	forge(HS, EDGE("\"jti\":\"j\",\"user_id\":1e0,\"user_id\":7"), KEY,
	    tok, sizeof(tok));
	ASSERT(verify(tok, KEY, JWT_ACCESS, NOW, &id) == JWT_OK && id == 7);
	ASSERT(forged(HS, EDGE("\"jti\":\"j\",\"user_id\":7,\"user_id\":1e0"))
	    == JWT_BAD_USER);
	ASSERT(forged(HS, EDGE("\"jti\":\"j\",\"user_id\":7,\"user\\u005fid\":1e0"))
	    == JWT_BAD_USER);
	/* values before it that hold the scanner's delimiters */
	forge(HS, "{ \"a\" : {\"b\": [1, \"x\\\"}],\"]}, \"token_type\":\"access\","
	    "\"exp\":4102444800,\"jti\":\"j\",\"user_id\" :\t42 }", KEY, tok,
	    sizeof(tok));
	ASSERT(verify(tok, KEY, JWT_ACCESS, NOW, &id) == JWT_OK && id == 42);
	/* no byte-order mark before the header or the payload JSON */
	ASSERT(forged("\xef\xbb\xbf" HS, EDGE("\"jti\":\"j\",\"user_id\":5"))
	    == JWT_MALFORMED);
	ASSERT(forged(HS, "\xef\xbb\xbf" EDGE("\"jti\":\"j\",\"user_id\":5"))
	    == JWT_MALFORMED);
}

/* fuzz-jwt found cJSON rounding ids from 2^52 up (tests/fuzz/regress/jwt). */
static void
test_large_ids(void)
{
	static const long long ids[] = { 4503599627370497LL,
	    9007199254740991LL, -9007199254740991LL, 123456789012345678LL / 100 };
	char		 tok[1024];
	long long	 got;
	size_t		 i;

	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		ASSERT(jwt_sign(KEY, strlen(KEY), JWT_ACCESS, ids[i], NOW, 300,
		    tok, sizeof(tok), NULL) == 0);
		got = 0;
		ASSERT(verify(tok, KEY, JWT_ACCESS, NOW, &got) == JWT_OK);
		ASSERT(got == ids[i]);
	}
	/* what verify refuses is never signed */
	ASSERT(jwt_sign(KEY, strlen(KEY), JWT_ACCESS, 9007199254740992LL, NOW,
	    300, tok, sizeof(tok), NULL) == -1);
	ASSERT(jwt_sign(KEY, strlen(KEY), JWT_ACCESS, 9007199254740993LL, NOW,
	    300, tok, sizeof(tok), NULL) == -1);
}

/* The claims revocation needs: iat when present, as a number. */
static void
test_claims(void)
{
	char			 tok[4096];
	struct jwt_claims	 c;

	memset(&c, 0, sizeof(c));
	ASSERT(jwt_sign(KEY, strlen(KEY), JWT_ACCESS, 7, NOW, 300, tok,
	    sizeof(tok), NULL) == 0);
	ASSERT(jwt_verify(tok, strlen(tok), KEY, strlen(KEY), JWT_ACCESS, NOW,
	    &c) == JWT_OK && c.user_id == 7 && c.has_iat && c.iat == NOW);
	forge(HS, "{\"token_type\":\"access\",\"exp\":4102444800,"
	    "\"jti\":\"j\",\"user_id\":5}", KEY, tok, sizeof(tok));
	c.has_iat = 1;
	ASSERT(jwt_verify(tok, strlen(tok), KEY, strlen(KEY), JWT_ACCESS, NOW,
	    &c) == JWT_OK && c.user_id == 5 && !c.has_iat);
	forge(HS, "{\"token_type\":\"access\",\"exp\":4102444800,"
	    "\"iat\":1764000000.5,\"jti\":\"j\",\"user_id\":5}", KEY, tok,
	    sizeof(tok));
	ASSERT(jwt_verify(tok, strlen(tok), KEY, strlen(KEY), JWT_ACCESS, NOW,
	    &c) == JWT_OK && c.has_iat && c.iat == 1764000000.5);
}

int
main(void)
{
	test_rfc7515_a1();
	test_simplejwt_vectors();
	test_sign();
	test_attacks();
	test_large_ids();
	test_edges();
	test_claims();
	return unit_done("test-jwt");
}
