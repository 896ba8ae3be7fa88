/*
 * Password policy: Django's validators (similarity, common, numeric) with
 * libzxcvbn's estimator standing in for Django's fixed lists.
 */
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
	ZxcvbnMatch(password, dict, &info);
	for (m = info; m != NULL; m = m->Next) {
		int type = (int)m->Type & ~MULTIPLE_MATCH;

		if (type != USER_MATCH && type != USER_LEET_MATCH)
			continue;
		for (i = (size_t)m->Begin; i < (size_t)(m->Begin + m->Length) &&
		    i < len; i++)
			covered[i] = 1;
	}
	ZxcvbnFreeInfo(info);
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
	bits = ZxcvbnMatch(password, NULL, NULL);
	lower = trimmed_lower(password);
	if (bits < COMMON_BITS || (lower != NULL &&
	    ZxcvbnMatch(lower, NULL, NULL) < COMMON_BITS)) {
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
