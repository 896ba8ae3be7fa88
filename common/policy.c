/*
 * Password policy: Django's validators (similarity, common, numeric) with
 * libzxcvbn's estimator standing in for Django's fixed lists.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zxcvbn.h>

#include "crypto.h"
#include "policy.h"
#include "text.h"

/* Under 2^13 guesses: as guessable as the 10,000 most common passwords. */
#define COMMON_BITS	13.0
#define PW_BYTES_MAX	1024	/* 128 code points of up to 4 bytes, +NUL */

/*
 * libzxcvbn is opened when a password is first judged, not linked: only
 * register judges passwords, and loading the 1.4 MB library cost every
 * other request about a quarter of its time (bench/NOTES.md).
 */
static double	(*zx_match)(const char *, const char *[], ZxcMatch_t **);
static void	(*zx_free)(ZxcMatch_t *);

int
policy_ready(void)
{
	void	*h;

	if (zx_match != NULL)
		return 0;
	if ((h = dlopen("libzxcvbn.so.0", RTLD_NOW | RTLD_LOCAL)) == NULL) {
		fprintf(stderr, "policy: %s\n", dlerror());
		return -1;
	}
	/* POSIX's way to take a function from dlsym. */
	*(void **)&zx_free = dlsym(h, "ZxcvbnFreeInfo");
	*(void **)&zx_match = dlsym(h, "ZxcvbnMatch");
	if (zx_match == NULL || zx_free == NULL) {
		fprintf(stderr, "policy: libzxcvbn.so.0 lacks ZxcvbnMatch\n");
		zx_match = NULL;
		return -1;
	}
	return 0;
}

/*
 * Non-zero if zxcvbn's matches against the user words in dict cover at
 * least half of the password's code points.  zxcvbn reports byte ranges;
 * a code point counts as covered when its first byte is.
 */
static int
too_similar(const char *password, const char **dict)
{
	ZxcMatch_t	*info = NULL, *m;
	unsigned char	 covered[PW_BYTES_MAX];
	size_t		 len = strlen(password), n = 0, total = 0, i;

	if (len == 0 || len >= sizeof(covered))
		return 0;
	memset(covered, 0, len);
	zx_match(password, dict, &info);
	for (m = info; m != NULL; m = m->Next) {
		int type = (int)m->Type & ~MULTIPLE_MATCH;

		if (type != USER_MATCH && type != USER_LEET_MATCH)
			continue;
		for (i = (size_t)m->Begin; i < (size_t)(m->Begin + m->Length) &&
		    i < len; i++)
			covered[i] = 1;
	}
	zx_free(info);
	for (i = 0; i < len; i++) {
		if (((unsigned char)password[i] & 0xc0) == 0x80)
			continue;	/* a continuation byte */
		total++;
		n += covered[i];
	}
	return 2 * n >= total;
}

/* The password with str.strip() and str.lower() applied, as a new string. */
static char *
trimmed_lower(const char *password)
{
	size_t	 start, len;

	len = text_strip(password, &start);
	return text_lower(password + start, len);
}

const char *
policy_check(const char *password, const char *username, const char *email,
    double min_entropy)
{
	const char	*user[] = { username, NULL };
	const char	*mail[] = { email, NULL, NULL };
	const char	*at;
	char		*local = NULL, *lower = NULL;
	const char	*verdict = NULL;
	double		 bits;

	if (policy_ready() == -1)	/* never accept what was not judged */
		return "The password cannot be checked now.";
	/* Django checks the attributes in order and names the first match. */
	if (too_similar(password, user))
		return "The password is too similar to the username.";
	if ((at = strrchr(email, '@')) != NULL &&
	    (local = strndup(email, (size_t)(at - email))) != NULL)
		mail[1] = local;
	if (too_similar(password, mail)) {
		verdict = "The password is too similar to the email address.";
		goto out;
	}
	bits = zx_match(password, NULL, NULL);
	lower = trimmed_lower(password);
	if (bits < COMMON_BITS || (lower != NULL &&
	    zx_match(lower, NULL, NULL) < COMMON_BITS)) {
		verdict = "This password is too common.";
		goto out;
	}
	if (text_is_digits(password)) {
		verdict = "This password is entirely numeric.";
		goto out;
	}
	if (min_entropy > 0 && bits < min_entropy)
		verdict = "This password is too easy to guess.";
out:
	free(local);
	if (lower != NULL)
		crypto_cleanse(lower, strlen(lower));
	free(lower);
	return verdict;
}
