/*
 * crypto.c against OpenSSL's own high-level functions, bit for bit:
 * HMAC() and PKCS5_PBKDF2_HMAC() over many random lengths, plus RFC known
 * answers and the strictness of the base64 decoders.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "crypto.h"
#include "unit.h"

static void
test_hmac_random(void)
{
	unsigned char	 key[200], msg[300], a[32], b[32];
	unsigned int	 blen;
	size_t		 klen, mlen;
	int		 i, same = 0;

	for (i = 0; i < 500; i++) {
		klen = (size_t)rand() % sizeof(key);	/* 0..199: short and long */
		mlen = (size_t)rand() % sizeof(msg);
		crypto_random(key, klen);
		crypto_random(msg, mlen);
		crypto_hmac_sha256(key, klen, msg, mlen, a);
		HMAC(EVP_sha256(), key, (int)klen, msg, mlen, b, &blen);
		same += blen == 32 && memcmp(a, b, 32) == 0;
	}
	ASSERT(same == 500);
}

static void
test_pbkdf2_random(void)
{
	unsigned char	 pass[100], salt[80], a[100], b[100];
	size_t		 plen, slen, olen;
	unsigned long	 iter;
	int		 i, same = 0;

	for (i = 0; i < 200; i++) {
		plen = (size_t)rand() % sizeof(pass);
		slen = (size_t)rand() % sizeof(salt);
		olen = 1 + (size_t)rand() % sizeof(a);	/* several blocks too */
		iter = 1 + (unsigned long)rand() % 300;
		crypto_random(pass, plen);
		crypto_random(salt, slen);
		crypto_pbkdf2_sha256(pass, plen, salt, slen, iter, a, olen);
		PKCS5_PBKDF2_HMAC((const char *)pass, (int)plen, salt,
		    (int)slen, (int)iter, EVP_sha256(), (int)olen, b);
		same += memcmp(a, b, olen) == 0;
	}
	ASSERT(same == 200);
}

/* RFC 4231 test case 2 (HMAC-SHA256, key "Jefe"). */
static void
test_hmac_rfc4231(void)
{
	static const unsigned char want[32] = {
		0x5b, 0xdc, 0xc1, 0x46, 0xbf, 0x60, 0x75, 0x4e, 0x6a, 0x04,
		0x24, 0x26, 0x08, 0x95, 0x75, 0xc7, 0x5a, 0x00, 0x3f, 0x08,
		0x9d, 0x27, 0x39, 0x83, 0x9d, 0xec, 0x58, 0xb9, 0x64, 0xec,
		0x38, 0x43 };
	unsigned char	 out[32];
	const char	*msg = "what do ya want for nothing?";

	crypto_hmac_sha256("Jefe", 4, msg, strlen(msg), out);
	ASSERT(memcmp(out, want, 32) == 0);
}

/* RFC 7914 section 11: PBKDF2-HMAC-SHA256("passwd", "salt", 1, 64). */
static void
test_pbkdf2_rfc7914(void)
{
	static const unsigned char want[16] = {
		0x55, 0xac, 0x04, 0x6e, 0x56, 0xe3, 0x08, 0x9f, 0xec, 0x16,
		0x91, 0xc2, 0x25, 0x44, 0xb6, 0x05 };
	unsigned char	 out[64];

	crypto_pbkdf2_sha256("passwd", 6, "salt", 4, 1, out, sizeof(out));
	ASSERT(memcmp(out, want, sizeof(want)) == 0);
}

static void
test_base64(void)
{
	unsigned char	 buf[64];
	char		 text[64];

	/* RFC 4648 section 10 vectors, both alphabets. */
	ASSERT(crypto_b64_encode("foobar", 6, text, sizeof(text), 0) == 8 &&
	    strcmp(text, "Zm9vYmFy") == 0);
	ASSERT(crypto_b64_encode("fo", 2, text, sizeof(text), 0) == 4 &&
	    strcmp(text, "Zm8=") == 0);
	ASSERT(crypto_b64_encode("fo", 2, text, sizeof(text), 1) == 3 &&
	    strcmp(text, "Zm8") == 0);
	ASSERT(crypto_b64_encode("\xfb\xff", 2, text, sizeof(text), 1) == 3 &&
	    strcmp(text, "-_8") == 0);
	ASSERT(crypto_b64_encode("\xfb\xff", 2, text, sizeof(text), 0) == 4 &&
	    strcmp(text, "+/8=") == 0);
	ASSERT(crypto_b64_encode("foobar", 6, text, 8, 0) == -1);

	ASSERT(crypto_b64_decode("Zm8", 3, buf, sizeof(buf), 1) == 2 &&
	    memcmp(buf, "fo", 2) == 0);
	ASSERT(crypto_b64_decode("-_8", 3, buf, sizeof(buf), 1) == 2 &&
	    memcmp(buf, "\xfb\xff", 2) == 0);
	ASSERT(crypto_b64_decode("", 0, buf, sizeof(buf), 1) == 0);
	ASSERT(crypto_b64_decode("Zm8=", 4, buf, sizeof(buf), 0) == 2);
	/* Refused: padding in base64url, the other alphabet, bad lengths. */
	ASSERT(crypto_b64_decode("Zm8=", 4, buf, sizeof(buf), 1) == -1);
	ASSERT(crypto_b64_decode("+/8", 3, buf, sizeof(buf), 1) == -1);
	ASSERT(crypto_b64_decode("-_8=", 4, buf, sizeof(buf), 0) == -1);
	ASSERT(crypto_b64_decode("Zm9vY", 5, buf, sizeof(buf), 1) == -1);
	ASSERT(crypto_b64_decode("Zm8", 3, buf, sizeof(buf), 0) == -1);
	ASSERT(crypto_b64_decode("Zm 8", 4, buf, sizeof(buf), 1) == -1);
	ASSERT(crypto_b64_decode("Z===", 4, buf, sizeof(buf), 0) == -1);
	/* Non-canonical: "Zm9" has stray low bits ("Zm8" is canonical). */
	ASSERT(crypto_b64_decode("Zm9", 3, buf, sizeof(buf), 1) == -1);
	ASSERT(crypto_b64_decode("Zm9=", 4, buf, sizeof(buf), 0) == -1);
	/* Output bound respected. */
	ASSERT(crypto_b64_decode("Zm9vYmFy", 8, buf, 5, 1) == -1);
}

static void
test_equal(void)
{
	ASSERT(crypto_equal("abcd", "abcd", 4));
	ASSERT(!crypto_equal("abcd", "abce", 4));
}

int
main(void)
{
	srand(7);
	test_hmac_random();
	test_pbkdf2_random();
	test_hmac_rfc4231();
	test_pbkdf2_rfc7914();
	test_base64();
	test_equal();
	return unit_done("test-crypto");
}
