/*
 * pw.c: hashes made by Django's own hasher (tests/vectors.json) verify,
 * ours have Django's shape and verify, malformed stored hashes are refused.
 */
#include <stdio.h>
#include <string.h>

#include "pw.h"
#include "unit.h"

static void
test_django_vectors(void)
{
	static const struct {
		const char	*password;
		const char	*encoded;
		unsigned long	 iterations;
	} v[] = {
		{ "s3cure!Pass", "pbkdf2_sha256$260000$aB3dE5gH7jK9mN1pQ3sT5v$"
		    "RnqztJbiGFkG+MQTB5q2JTugWjOS0YOPLrnZaE0aI/E=", 260000 },
		/* a legacy 12-character salt */
		{ "s3cure!Pass", "pbkdf2_sha256$36000$Zx81Yw72Vu63$"
		    "wsr02pjAMrLsv3bxUeEQgLk3JPviRFZdM/m81MDEfJ0=", 36000 },
		{ "p\xc3\xa4ssw\xc3\xb6rd-\xc3\xbcn\xc3\xaf" "code-\xe2\x9c\x93",
		    "pbkdf2_sha256$600000$q1W2e3R4t5Y6u7I8o9P0aS$"
		    "dDKBO/hPRLJA9DBbNC71EjIQH8dtC8bYSGug8m8bweo=", 600000 },
		{ "correct horse battery staple", "pbkdf2_sha256$1200000$"
		    "LmNoPqRsTuVwXyZ0123456$"
		    "LOMp8HJ7B2OXLcxxpNuzrAn3R+S01c89nDgP2FOZuFY=", 1200000 },
	};
	unsigned long	 it;
	size_t		 i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		ASSERT(pw_verify(v[i].password, strlen(v[i].password),
		    v[i].encoded, &it) == PW_OK && it == v[i].iterations);
		ASSERT(pw_verify("s3cure!pass", 11, v[i].encoded, &it) ==
		    PW_MISMATCH);
	}
}

static void
test_hash(void)
{
	char		 h[PW_HASH_MAX], h2[PW_HASH_MAX];
	unsigned long	 it;
	const char	*salt;

	ASSERT(pw_hash("s3cure!Pass", 11, 1000, h) == 0);
	ASSERT(strncmp(h, "pbkdf2_sha256$1000$", 19) == 0);
	salt = h + 19;
	ASSERT(strcspn(salt, "$") == 22 && strspn(salt, "abcdefghijklmnopqrst"
	    "uvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") == 22);
	ASSERT(strlen(salt) == 22 + 1 + 44);
	ASSERT(pw_verify("s3cure!Pass", 11, h, &it) == PW_OK && it == 1000);
	ASSERT(pw_verify("s3cure!Pas", 10, h, &it) == PW_MISMATCH);
	ASSERT(pw_hash("s3cure!Pass", 11, 1000, h2) == 0 && strcmp(h, h2) != 0);
}

static void
test_unusable(void)
{
	static const char *const bad[] = {
		"",
		"!",		/* Django's unusable password prefix */
		"!abcdef",
		"pbkdf2_sha1$1000$salt$AAAA",
		"pbkdf2_sha256$$salt$RnqztJbiGFkG+MQTB5q2JTugWjOS0YOPLrnZaE0aI/E=",
		"pbkdf2_sha256$0$salt$RnqztJbiGFkG+MQTB5q2JTugWjOS0YOPLrnZaE0aI/E=",
		"pbkdf2_sha256$-1$salt$RnqztJbiGFkG+MQTB5q2JTugWjOS0YOPLrnZaE0aI/E=",
		"pbkdf2_sha256$99999999999999999999$s$RnqztJbiGFkG+MQTB5q2JTugWjOS0YOPLrnZaE0aI/E=",
		"pbkdf2_sha256$1000$$RnqztJbiGFkG+MQTB5q2JTugWjOS0YOPLrnZaE0aI/E=",
		"pbkdf2_sha256$1000$salt$short",
		"pbkdf2_sha256$1000$salt$RnqztJbiGFkG+MQTB5q2JTugWjOS0YOPLrnZaE0aI/E",
		"pbkdf2_sha256$1000$salt",
		"argon2$argon2id$v=19$m=102400,t=2,p=8$c29tZXNhbHQ$aGFzaA",
	};
	unsigned long	 it = 1;
	size_t		 i;
	int		 n = 0;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		n += pw_verify("x", 1, bad[i], &it) == PW_UNUSABLE && it == 0;
	ASSERT(n == (int)(sizeof(bad) / sizeof(bad[0])));
	/* pw_usable (authctl's import) draws the same line, without hashing. */
	for (i = n = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		n += !pw_usable(bad[i]);
	ASSERT(n == (int)(sizeof(bad) / sizeof(bad[0])));
}

/* Hashes Django made in other eras verify, and pw_usable says so. */
static void
test_usable(void)
{
	char		 h[PW_HASH_MAX];
	unsigned long	 it;

	ASSERT(pw_hash("s3cure!Pass", 11, 1000, h) == 0 && pw_usable(h));
	/* A 12-character salt, as Django 1.4 made them. */
	ASSERT(pw_usable("pbkdf2_sha256$10000$abcdefghijkl$"
	    "RnqztJbiGFkG+MQTB5q2JTugWjOS0YOPLrnZaE0aI/E="));
	ASSERT(pw_verify("x", 1, "pbkdf2_sha256$10000$abcdefghijkl$"
	    "RnqztJbiGFkG+MQTB5q2JTugWjOS0YOPLrnZaE0aI/E=", &it) ==
	    PW_MISMATCH && it == 10000);
}

/*
 * Every byte of the derived key is compared: a stored hash whose key
 * differs from the password's in one bit of one byte (the 1st, 9th, 17th,
 * 32nd) refuses the password it was made from.
 */
static void
test_every_byte(void)
{
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	/*
	 * Character of the 44-character key and the bit of its 6 that hold
	 * the lowest bit of key byte 0, 8, 16 and 31 (the last character
	 * before "=" holds byte 31's low 4 bits above two zero bits).
	 */
	static const struct {
		size_t	 pos;
		int	 bit;
	} flip[] = { { 1, 0x10 }, { 11, 0x01 }, { 22, 0x04 }, { 42, 0x04 } };
	char		 h[PW_HASH_MAX], bad[PW_HASH_MAX], *key;
	const char	*c;
	unsigned long	 it;
	size_t		 i;

	ASSERT(pw_hash("s3cure!Pass", 11, 1000, h) == 0);
	ASSERT(pw_verify("s3cure!Pass", 11, h, &it) == PW_OK);
	for (i = 0; i < sizeof(flip) / sizeof(flip[0]); i++) {
		memcpy(bad, h, sizeof(bad));
		key = strrchr(bad, '$') + 1;
		ASSERT(strlen(key) == 44 && key[43] == '=');
		c = strchr(b64, key[flip[i].pos]);
		ASSERT(c != NULL);
		if (c == NULL)
			continue;
		key[flip[i].pos] = b64[(c - b64) ^ flip[i].bit];
		ASSERT(pw_usable(bad));
		ASSERT(pw_verify("s3cure!Pass", 11, bad, &it) == PW_MISMATCH &&
		    it == 1000);
	}
}

/*
 * A cheap stored hash (AUTH_PBKDF2_ITERATIONS below Django's old floor of
 * 1000, or an import) checks the password like any other.
 */
static void
test_low_counts(void)
{
	static const unsigned long counts[] = { 1, 2, 500, 999 };
	char		 h[PW_HASH_MAX];
	unsigned long	 it;
	size_t		 i;

	for (i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		ASSERT(pw_hash("s3cure!Pass", 11, counts[i], h) == 0);
		ASSERT(pw_verify("s3cure!Pass", 11, h, &it) == PW_OK &&
		    it == counts[i]);
		ASSERT(pw_verify("wrong-password", 14, h, &it) == PW_MISMATCH &&
		    it == counts[i]);
		ASSERT(pw_verify("s3cure!Pas", 10, h, &it) == PW_MISMATCH);
	}
}

/*
 * SPEC "POST login": no count above 5,000,000 is accepted: such a stored
 * hash never verifies (refused before hashing: this test would take a
 * minute otherwise), and pw_iterations says it is above the cap.
 */
static void
test_cap(void)
{
	static const char key[] = "$713P6a4S8qgiEX0W6mX8QM"
	    "$cI3g13kaAWUbjy5a9PQin2UeRHzFz4ysJJcom8yxbWQ=";
	char		 h[256];
	unsigned long	 it = 1;

	snprintf(h, sizeof(h), "pbkdf2_sha256$5000001%s", key);
	ASSERT(pw_verify("x", 1, h, &it) == PW_UNUSABLE && it == 0);
	ASSERT(!pw_usable(h));
	ASSERT(pw_iterations(h) == PW_ITERATIONS_MAX + 1);
	snprintf(h, sizeof(h), "pbkdf2_sha256$100000000000000000000000%s", key);
	ASSERT(pw_verify("x", 1, h, &it) == PW_UNUSABLE && it == 0);
	ASSERT(pw_iterations(h) == PW_ITERATIONS_MAX + 1);
	snprintf(h, sizeof(h), "pbkdf2_sha256$5000000%s", key);
	ASSERT(pw_usable(h) && pw_iterations(h) == 5000000);
	ASSERT(pw_iterations("pbkdf2_sha256$1000") == 0);
	ASSERT(pw_iterations("argon2$1000$a$b") == 0);
	ASSERT(pw_iterations("pbkdf2_sha256$01000$a$b") == 0);
}

int
main(void)
{
	test_django_vectors();
	test_hash();
	test_unusable();
	test_usable();
	test_every_byte();
	test_low_counts();
	test_cap();
	return unit_done("test-pw");
}
