/*
 * libFuzzer harness: usernames, emails and passwords as register and login
 * treat them: valid_email(), valid_username(), the text.h functions they
 * rest on, and policy_check().  The input is up to three parts separated
 * by NUL bytes: a username, an email and a password.
 *
 * Invariants: text_length() < 0 exactly when the text functions refuse
 * the input (valid UTF-8 is never refused: register would answer 500);
 * every output is valid UTF-8; NFKC and the case-folded key are stable
 * (applying them again changes nothing); text_lower() maps one code point
 * to one (U+0130 to two); text_strip() leaves nothing to strip; and what
 * register stores can be logged in with: the key login computes from the
 * typed username or email, and from the stored one, is the key register
 * stored (names.c: SPEC "POST register" 2, 4-6, "POST login"), and a
 * username's key is its own key.  policy_check()
 * runs on what the schema lets through and answers NULL or one of SPEC's
 * messages; everything answers the same twice.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "names.h"
#include "policy.h"
#include "text.h"
#include "valid.h"

#define ENTROPY		16.0	/* as AUTH_MIN_PASSWORD_ENTROPY in fuzz-io.c */

/* A text function's result on valid UTF-8: never NULL, valid itself. */
static char *
must(char *s, const char *what, const char *in)
{
	if (s == NULL)
		fuzz_fail("%s refused valid UTF-8 \"%s\"", what, in);
	if (text_length(s, strlen(s)) < 0)
		fuzz_fail("%s of \"%s\" is not UTF-8", what, in);
	return s;
}

static void
same(const char *a, const char *b, const char *what, const char *in)
{
	if (strcmp(a, b) != 0)
		fuzz_fail("%s: \"%s\" and \"%s\" (from \"%s\")", what, a, b,
		    in);
}

/* Code points U+0130 in s (valid UTF-8): each lowers to two. */
static long
dotted_capital_i(const char *s)
{
	long	 n = 0;

	while ((s = strstr(s, "\xc4\xb0")) != NULL) {
		n++;
		s += 2;
	}
	return n;
}

/* The text functions on one part; 1 if it is valid UTF-8. */
static int
text(const char *s)
{
	size_t	 len = strlen(s), start, n, start2, n2;
	long	 cps = text_length(s, len);
	char	*nfkc, *fold, *lower, *again;

	if (cps < 0) {
		if ((nfkc = text_nfkc(s, len)) != NULL ||
		    (fold = text_fold(s, len)) != NULL ||
		    (lower = text_lower(s, len)) != NULL)
			fuzz_fail("a text function took invalid UTF-8");
		return 0;
	}
	n = text_strip(s, &start);
	if (start + n > len || (n == 0 && start != 0))
		fuzz_fail("text_strip: %zu+%zu of %zu bytes", start, n, len);
	if (text_length(s + start, n) < 0)
		fuzz_fail("text_strip: cut inside a code point");
	if ((again = strndup(s + start, n)) == NULL)
		fuzz_fail("out of memory");
	n2 = text_strip(again, &start2);
	if (start2 != 0 || n2 != n)
		fuzz_fail("text_strip: \"%s\" is left to strip", again);
	free(again);

	nfkc = must(text_nfkc(s, len), "text_nfkc", s);
	again = must(text_nfkc(nfkc, strlen(nfkc)), "text_nfkc", nfkc);
	same(nfkc, again, "NFKC twice", s);
	free(again);
	fold = must(text_fold(s, len), "text_fold", s);
	again = must(text_fold(fold, strlen(fold)), "text_fold", fold);
	same(fold, again, "the folded key twice", s);
	free(again);
	lower = must(text_lower(s, len), "text_lower", s);
	if (text_length(lower, strlen(lower)) != cps + dotted_capital_i(s))
		fuzz_fail("text_lower: %ld code points became %ld", cps,
		    text_length(lower, strlen(lower)));
	if (text_is_digits(s) != text_is_digits(s))
		fuzz_fail("text_is_digits: not the same twice");
	free(nfkc);
	free(fold);
	free(lower);
	return 1;
}

/*
 * Register's username (names_stored) under its key, and what login looks
 * up for the same typed text and for the stored name: one key, never
 * refused for valid UTF-8.  Returns the stored username (the caller frees
 * it), or NULL if register refuses it (invalid, or an empty key).
 */
static char *
username(const char *typed)
{
	char	*name, *key, *login;
	int	 ok;

	name = must(names_stored(NAMES_USERNAME, typed), "names_stored",
	    typed);
	key = must(names_key(NAMES_USERNAME, name), "names_key", name);
	ok = valid_username(name) && *key != '\0';
	if (valid_username(name) != valid_username(name))
		fuzz_fail("valid_username: not the same twice");
	/* With an "@" login looks the text up as an email (SPEC). */
	if (ok && strchr(typed, '@') == NULL) {
		login = must(names_key(NAMES_USERNAME, typed), "names_key",
		    typed);
		same(key, login, "username key of register and of login",
		    typed);
		free(login);
		login = must(names_key(NAMES_USERNAME, key), "names_key", key);
		same(key, login, "the username key twice", typed);
		free(login);
	}
	free(key);
	if (!ok) {
		free(name);
		return NULL;
	}
	return name;
}

/* Likewise for the email (stripped, lowered); NULL if refused. */
static char *
email(const char *typed)
{
	char	*mail, *key, *login;
	int	 ok;

	mail = must(names_stored(NAMES_EMAIL, typed), "names_stored", typed);
	ok = valid_email(mail);
	if (ok != valid_email(mail))
		fuzz_fail("valid_email: not the same twice");
	if (ok && strrchr(mail, '@') == NULL)
		fuzz_fail("valid_email: \"%s\" has no @", mail);
	if (ok) {
		key = must(names_key(NAMES_EMAIL, mail), "names_key", mail);
		login = must(names_key(NAMES_EMAIL, typed), "names_key", typed);
		same(key, login, "email key of register and of login", typed);
		free(login);
		free(key);
	}
	if (!ok) {
		free(mail);
		return NULL;
	}
	return mail;
}

static void
policy(const char *password, const char *user, const char *mail)
{
	static const char *const verdicts[] = {
		"The password is too similar to the username.",
		"The password is too similar to the email address.",
		"This password is too common.",
		"This password is entirely numeric.",
		"This password is too easy to guess.",
	};
	const char	*v;
	long		 cps = text_length(password, strlen(password));
	size_t		 i;

	/* Only what the schema lets through: 8 to 128 code points. */
	if (cps < 8 || cps > 128)
		return;
	v = policy_check(password, user, mail, ENTROPY);
	if (v != policy_check(password, user, mail, ENTROPY))
		fuzz_fail("policy_check: not the same twice");
	if (v == NULL)
		return;
	for (i = 0; i < sizeof(verdicts) / sizeof(verdicts[0]); i++)
		if (v == verdicts[i] || strcmp(v, verdicts[i]) == 0)
			return;
	fuzz_fail("policy_check: \"%s\"", v);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		*copy, *part[3] = { NULL, NULL, NULL }, *nul;
	char		*user = NULL, *mail = NULL, *before;
	int		 i, valid[3] = { 0, 0, 0 };

	if ((copy = malloc(size + 1)) == NULL)
		fuzz_fail("out of memory");
	memcpy(copy, data, size);
	copy[size] = '\0';
	part[0] = copy;
	for (i = 1; i < 3; i++) {
		nul = part[i - 1] + strlen(part[i - 1]);
		if (nul >= copy + size)
			break;
		part[i] = nul + 1;
	}
	for (i = 0; i < 3 && part[i] != NULL; i++) {
		valid[i] = text(part[i]);
		/* The validators on the raw text too: no crash, no change. */
		if ((before = strdup(part[i])) == NULL)
			fuzz_fail("out of memory");
		if (valid_email(part[i]) != valid_email(part[i]) ||
		    valid_username(part[i]) != valid_username(part[i]) ||
		    strcmp(before, part[i]) != 0)
			fuzz_fail("a validator is not the same twice, or "
			    "wrote");
		free(before);
	}
	/* Register's path, within the schema's lengths (in code points). */
	if (valid[0] && text_length(part[0], strlen(part[0])) <= 150)
		user = username(part[0]);
	if (part[1] != NULL && valid[1] &&
	    text_length(part[1], strlen(part[1])) <= 254)
		mail = email(part[1]);
	/* Register judges the stored forms; any UTF-8 is in the contract. */
	if (part[2] != NULL && valid[2] && valid[1] && valid[0])
		policy(part[2], user != NULL ? user : part[0],
		    mail != NULL ? mail : part[1]);
	free(user);
	free(mail);
	free(copy);
	return 0;
}
