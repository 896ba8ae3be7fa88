/*
 * HMAC-SHA256, PBKDF2-HMAC-SHA256, base64, random bytes and secret handling
 * on libcrypto.  The SHA-256 calls are OpenSSL's low-level ones on purpose:
 * the first EVP call of a process loads providers and costs more than the
 * whole exec of a CGI (bench/NOTES.md), and PBKDF2 needs direct
 * access to the block function to reach two compressions per iteration.
 * tests/unit/test-crypto.c proves both bit-exact against HMAC() and
 * PKCS5_PBKDF2_HMAC().
 */
#define OPENSSL_SUPPRESS_DEPRECATED	/* SHA256_Transform: see above */

#include <sys/random.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "crypto.h"

#define BLOCK 64	/* SHA-256 block size */

/* The two keyed states of HMAC: SHA-256 after one block of key ^ pad. */
struct hmac {
	SHA256_CTX	 in;
	SHA256_CTX	 out;
};

int
crypto_random(void *buf, size_t len)
{
	unsigned char	*p = buf;
	ssize_t		 n;

	while (len > 0) {
		n = getrandom(p, len, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "crypto_random: getrandom: %s\n",
			    strerror(errno));
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void
hmac_init(struct hmac *h, const void *key, size_t keylen)
{
	unsigned char	 k[BLOCK], pad[BLOCK];
	SHA256_CTX	 c;
	size_t		 i;

	memset(k, 0, sizeof(k));
	/*
	 * Not the one-shot SHA256(): it goes through EVP, which links all of
	 * libcrypto's providers into every executable and costs each start.
	 */
	if (keylen > BLOCK) {
		SHA256_Init(&c);
		SHA256_Update(&c, key, keylen);
		SHA256_Final(k, &c);
		OPENSSL_cleanse(&c, sizeof(c));
	} else if (keylen > 0)
		memcpy(k, key, keylen);
	for (i = 0; i < BLOCK; i++)
		pad[i] = k[i] ^ 0x36;
	SHA256_Init(&h->in);
	SHA256_Update(&h->in, pad, BLOCK);
	for (i = 0; i < BLOCK; i++)
		pad[i] = k[i] ^ 0x5c;
	SHA256_Init(&h->out);
	SHA256_Update(&h->out, pad, BLOCK);
	OPENSSL_cleanse(k, sizeof(k));
	OPENSSL_cleanse(pad, sizeof(pad));
}

/* HMAC of a message given as two parts (PBKDF2's salt || INT(i)). */
static void
hmac_two(const struct hmac *h, const void *a, size_t alen,
    const void *b, size_t blen, unsigned char out[CRYPTO_SHA256_LEN])
{
	SHA256_CTX	 c;
	unsigned char	 inner[CRYPTO_SHA256_LEN];

	c = h->in;
	SHA256_Update(&c, a, alen);
	if (blen > 0)
		SHA256_Update(&c, b, blen);
	SHA256_Final(inner, &c);
	c = h->out;
	SHA256_Update(&c, inner, sizeof(inner));
	SHA256_Final(out, &c);
	OPENSSL_cleanse(&c, sizeof(c));
}

void
crypto_hmac_sha256(const void *key, size_t keylen, const void *msg,
    size_t msglen, unsigned char out[CRYPTO_SHA256_LEN])
{
	struct hmac	 h;

	hmac_init(&h, key, keylen);
	hmac_two(&h, msg, msglen, NULL, 0, out);
	OPENSSL_cleanse(&h, sizeof(h));
}

/* Big-endian store of the eight state words: the digest of a final block. */
static void
put_state(unsigned char *p, const SHA256_CTX *c)
{
	int	 i;

	for (i = 0; i < 8; i++) {
		p[4 * i] = (unsigned char)(c->h[i] >> 24);
		p[4 * i + 1] = (unsigned char)(c->h[i] >> 16);
		p[4 * i + 2] = (unsigned char)(c->h[i] >> 8);
		p[4 * i + 3] = (unsigned char)c->h[i];
	}
}

/*
 * Each PBKDF2 iteration hashes a 32-byte message under the two keyed
 * states.  Both compressions see a single final block of the same shape:
 * 32 bytes of data, 0x80, zeros, and the bit length 64 + 32 = 768.  So the
 * padding is written once and each iteration is exactly two calls of the
 * block function, with no allocation and no buffering.
 */
void
crypto_pbkdf2_sha256(const void *pass, size_t passlen, const void *salt,
    size_t saltlen, unsigned long iterations, unsigned char *out,
    size_t outlen)
{
	struct hmac	 h;
	SHA256_CTX	 c;
	unsigned char	 blk[BLOCK], u[CRYPTO_SHA256_LEN], t[CRYPTO_SHA256_LEN];
	unsigned char	 ctr[4];
	uint32_t	 i;
	unsigned long	 j;
	size_t		 k, n;

	hmac_init(&h, pass, passlen);
	memset(blk, 0, sizeof(blk));
	blk[CRYPTO_SHA256_LEN] = 0x80;
	blk[BLOCK - 2] = 0x03;	/* 768 bits, big-endian */
	c = h.in;
	for (i = 1; outlen > 0; i++) {
		ctr[0] = (unsigned char)(i >> 24);
		ctr[1] = (unsigned char)(i >> 16);
		ctr[2] = (unsigned char)(i >> 8);
		ctr[3] = (unsigned char)i;
		hmac_two(&h, salt, saltlen, ctr, sizeof(ctr), u);
		memcpy(t, u, sizeof(t));
		memcpy(blk, u, sizeof(u));
		for (j = 1; j < iterations; j++) {
			memcpy(c.h, h.in.h, sizeof(c.h));
			SHA256_Transform(&c, blk);
			put_state(blk, &c);
			memcpy(c.h, h.out.h, sizeof(c.h));
			SHA256_Transform(&c, blk);
			put_state(blk, &c);
			for (k = 0; k < sizeof(t); k++)
				t[k] ^= blk[k];
		}
		n = outlen < sizeof(t) ? outlen : sizeof(t);
		memcpy(out, t, n);
		out += n;
		outlen -= n;
	}
	OPENSSL_cleanse(&h, sizeof(h));
	OPENSSL_cleanse(&c, sizeof(c));
	OPENSSL_cleanse(blk, sizeof(blk));
	OPENSSL_cleanse(u, sizeof(u));
	OPENSSL_cleanse(t, sizeof(t));
}

int
crypto_b64_encode(const void *in, size_t len, char *out, size_t outsz,
    int is_url)
{
	size_t	 need, i;

	if (len > (size_t)INT32_MAX / 2)
		return -1;
	need = 4 * ((len + 2) / 3) + 1;
	if (need > outsz)
		return -1;
	need = (size_t)EVP_EncodeBlock((unsigned char *)out, in, (int)len);
	if (!is_url)
		return (int)need;
	while (need > 0 && out[need - 1] == '=')
		out[--need] = '\0';
	for (i = 0; i < need; i++)
		if (out[i] == '+')
			out[i] = '-';
		else if (out[i] == '/')
			out[i] = '_';
	return (int)need;
}

static int
is_b64_char(unsigned char ch, int is_url)
{
	if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
	    (ch >= '0' && ch <= '9'))
		return 1;
	if (is_url)
		return ch == '-' || ch == '_';
	return ch == '+' || ch == '/';
}

int
crypto_b64_decode(const char *in, size_t len, unsigned char *out,
    size_t outsz, int is_url)
{
	char		 buf[4], check[5];
	unsigned char	 tmp[3];
	size_t		 i, o = 0, pad = 0, body = len;
	int		 n, m;

	if (is_url) {
		if (len % 4 == 1)
			return -1;
	} else {
		if (len % 4 != 0)
			return -1;
		while (body > 0 && pad < 2 && in[body - 1] == '=') {
			body--;
			pad++;
		}
	}
	for (i = 0; i < body; i++)
		if (!is_b64_char((unsigned char)in[i], is_url))
			return -1;
	/* Four characters at a time, so no copy of the whole input is made. */
	for (i = 0; i < body; i += 4) {
		n = body - i < 4 ? (int)(body - i) : 4;
		memcpy(buf, in + i, (size_t)n);
		for (m = 0; m < n; m++)
			if (buf[m] == '-')
				buf[m] = '+';
			else if (buf[m] == '_')
				buf[m] = '/';
		for (m = n; m < 4; m++)
			buf[m] = '=';
		if (EVP_DecodeBlock(tmp, (unsigned char *)buf, 4) != 3)
			return -1;
		m = n - 1;	/* bytes this group really carries */
		if (o + (size_t)m > outsz)
			return -1;
		/* Canonical only: the unused low bits must be zero. */
		if (EVP_EncodeBlock((unsigned char *)check, tmp, m) != 4 ||
		    memcmp(check, buf, (size_t)n) != 0)
			return -1;
		memcpy(out + o, tmp, (size_t)m);
		o += (size_t)m;
	}
	if (!is_url && pad != (body % 4 == 0 ? 0 : 4 - body % 4))
		return -1;
	return (int)o;
}

int
crypto_equal(const void *a, const void *b, size_t len)
{
	return CRYPTO_memcmp(a, b, len) == 0;
}

void
crypto_cleanse(void *p, size_t len)
{
	if (p != NULL)
		OPENSSL_cleanse(p, len);
}
