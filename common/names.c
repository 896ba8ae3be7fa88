/*
 * Stored forms and unique keys of usernames and email addresses, on
 * text.c's Unicode functions and libidn2.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <idn2.h>

#include "names.h"
#include "text.h"

char *
names_stored(enum names_kind kind, const char *typed)
{
	size_t	 start, len = text_strip(typed, &start);

	if (text_length(typed, strlen(typed)) < 0)
		return NULL;
	return kind == NAMES_USERNAME ? text_nfkc(typed + start, len) :
	    text_lower(typed + start, len);
}

/*
 * The domain's part of an email key: IDNA's ASCII form, UTS #46
 * non-transitional (faß.de stays apart from fass.de, as in today's DNS),
 * else transitional (the form valid_email() accepts, IDNA 2003's as
 * Django's), else the case-folded text.  NULL without memory.
 */
static char *
domain_key(const char *domain)
{
	static const int flags[] = {
		IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL,
		IDN2_NFC_INPUT | IDN2_TRANSITIONAL,
	};
	char	*ascii = NULL, *key;
	size_t	 i;

	for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		if (idn2_to_ascii_8z(domain, &ascii, flags[i]) != IDN2_OK)
			continue;
		/* idn2's memory is its own to free. */
		key = strdup(ascii);
		idn2_free(ascii);
		return key;
	}
	return text_fold(domain, strlen(domain));
}

static char *
email_key(const char *email)
{
	char	*lower, *at, *local = NULL, *domain = NULL, *key = NULL;
	size_t	 n;

	if ((lower = names_stored(NAMES_EMAIL, email)) == NULL)
		return NULL;
	/* Split at the last "@", as valid_email() does. */
	if ((at = strrchr(lower, '@')) == NULL) {
		key = text_fold(lower, strlen(lower));
		goto out;
	}
	*at = '\0';
	if ((local = text_fold(lower, strlen(lower))) == NULL ||
	    (domain = domain_key(at + 1)) == NULL)
		goto out;
	n = strlen(local) + 1 + strlen(domain) + 1;
	if ((key = malloc(n)) != NULL)
		snprintf(key, n, "%s@%s", local, domain);
out:
	free(lower);
	free(local);
	free(domain);
	return key;
}

char *
names_key(enum names_kind kind, const char *name)
{
	size_t	 start, len;

	if (kind == NAMES_EMAIL)
		return email_key(name);
	len = text_strip(name, &start);
	return text_fold(name + start, len);
}
