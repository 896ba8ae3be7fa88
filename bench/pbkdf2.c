/*
 * pbkdf2 [ITERATIONS]: time our PBKDF2-HMAC-SHA256 (common/crypto.c, on
 * OpenSSL's SHA-256 block function) against OpenSSL's PKCS5_PBKDF2_HMAC at
 * the same cost, interleaved, best of 5 each; check they agree; print
 * "ours_ns_per_iteration openssl_ns_per_iteration speedup".
 * pbkdf2 ITERATIONS N: time ours alone N times and print each in ms, one
 * per line (the bench's reference for login and register, measured beside
 * them).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "crypto.h"

static double
now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* n timings of ours, in ms, one per line. */
static void
print_ms(unsigned long iter, int n)
{
	static const char pass[] = "Bench-pass-42!x";
	static const char salt[] = "ab3dEfGh1jKlMn0pQrStUv";
	unsigned char	 out[32];
	double		 t[99];
	int		 i;

	if (n > 99)
		n = 99;
	for (i = 0; i < n; i++) {
		t[i] = now();
		crypto_pbkdf2_sha256(pass, strlen(pass), salt, strlen(salt),
		    iter, out, sizeof(out));
		t[i] = now() - t[i];
	}
	for (i = 0; i < n; i++)
		printf("%.2f\n", t[i] * 1e3);
}

int
main(int argc, char *argv[])
{
	static const char pass[] = "correct horse battery staple";
	static const char salt[] = "ab3dEfGh1jKlMn0pQrStUv";
	unsigned char	 ours[32], theirs[32];
	unsigned long	 iter = argc > 1 ? strtoul(argv[1], NULL, 10) : 600000;
	double		 t, best_ours = 1e9, best_theirs = 1e9;
	int		 round;

	if (argc > 2) {
		print_ms(iter, atoi(argv[2]) < 1 ? 1 : atoi(argv[2]));
		return 0;
	}

	for (round = 0; round < 5; round++) {
		t = now();
		crypto_pbkdf2_sha256(pass, strlen(pass), salt, strlen(salt),
		    iter, ours, sizeof(ours));
		if ((t = now() - t) < best_ours)
			best_ours = t;
		t = now();
		if (PKCS5_PBKDF2_HMAC(pass, (int)strlen(pass),
		    (const unsigned char *)salt, (int)strlen(salt), (int)iter,
		    EVP_sha256(), 32, theirs) != 1)
			return 1;
		if ((t = now() - t) < best_theirs)
			best_theirs = t;
		if (memcmp(ours, theirs, 32) != 0) {
			fprintf(stderr, "pbkdf2: the outputs differ\n");
			return 1;
		}
	}
	printf("%.1f %.1f %.2f\n", best_ours * 1e9 / iter,
	    best_theirs * 1e9 / iter, best_theirs / best_ours);
	return 0;
}
