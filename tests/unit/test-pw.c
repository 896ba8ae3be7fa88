/*
 * pw.c: hashes made by Django's own hasher (../shared/vectors.json) verify,
 * ours have Django's shape and verify, malformed stored hashes are refused.
 */
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

int
main(void)
{
	test_django_vectors();
	test_hash();
	test_unusable();
	test_usable();
	return unit_done("test-pw");
}
