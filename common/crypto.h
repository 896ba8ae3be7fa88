/*
 * The cryptographic primitives the product needs, on OpenSSL's libcrypto:
 * HMAC-SHA256 and PBKDF2-HMAC-SHA256 built directly on the SHA-256 block
 * function (no EVP provider start-up on the request path, two blocks per
 * PBKDF2 iteration), base64 in both alphabets, random bytes, constant-time
 * comparison and wiping.  This is the only file that includes OpenSSL.
 */
#ifndef CRYPTO_H
#define CRYPTO_H

#include <stddef.h>

#define CRYPTO_SHA256_LEN 32

/*
 * Fill buf with len bytes from the kernel's CSPRNG.
 * Returns 0, or -1 (logged) if the kernel would not give them.
 */
int	crypto_random(void *buf, size_t len);

/* out = HMAC-SHA256(key, msg).  Any key length (RFC 2104). */
void	crypto_hmac_sha256(const void *key, size_t keylen,
	    const void *msg, size_t msglen,
	    unsigned char out[CRYPTO_SHA256_LEN]);

/*
 * out = PBKDF2-HMAC-SHA256(pass, salt, iterations) of outlen bytes
 * (RFC 8018), bit-exact with PKCS5_PBKDF2_HMAC but about twice as fast.
 * iterations must be at least 1.
 */
void	crypto_pbkdf2_sha256(const void *pass, size_t passlen,
	    const void *salt, size_t saltlen, unsigned long iterations,
	    unsigned char *out, size_t outlen);

/*
 * Base64 encode len bytes into out (NUL-terminated).  is_url selects the
 * URL-safe alphabet without padding (RFC 7515); otherwise the standard
 * alphabet with padding (Django's hashes).  Returns the text length, or -1
 * if outsz is too small.
 */
int	crypto_b64_encode(const void *in, size_t len, char *out, size_t outsz,
	    int is_url);

/*
 * Decode exactly len characters of base64 (alphabet as above) into out.
 * Strict: only the alphabet's characters, padding only where the standard
 * alphabet needs it, and the canonical encoding only (no stray low bits).
 * Returns the byte count, or -1 for bad input or a too small outsz.
 */
int	crypto_b64_decode(const char *in, size_t len, unsigned char *out,
	    size_t outsz, int is_url);

/* Non-zero if the len bytes at a and b are equal; time depends on len only. */
int	crypto_equal(const void *a, const void *b, size_t len);

/* Wipe a secret so the compiler cannot optimise the store away. */
void	crypto_cleanse(void *p, size_t len);

#endif
