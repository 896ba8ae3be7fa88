/*
 * policy.c: SPEC "POST register" 7, every example it lists.
 */
#include <string.h>

#include "policy.h"
#include "unit.h"

#define COMMON	"This password is too common."
#define NUMERIC	"This password is entirely numeric."
#define USER	"The password is too similar to the username."
#define EMAIL	"The password is too similar to the email address."

static int
says(const char *pw, const char *want)
{
	const char	*got = policy_check(pw, "janedoe", "jane@example.com", 0);

	if (got == want || (got != NULL && want != NULL &&
	    strcmp(got, want) == 0))
		return 1;
	fprintf(stderr, "policy %s: want %s, got %s\n", pw,
	    want ? want : "ok", got ? got : "ok");
	return 0;
}

int
main(void)
{
	ASSERT(says("s3cure!Pass", NULL));
	ASSERT(says("newpass123", NULL));
	ASSERT(says("testpass123", NULL));
	ASSERT(says("StrongPass123!", NULL));
	ASSERT(says("bookworm42", NULL));
	ASSERT(says("12345678", COMMON));
	ASSERT(says("password1", COMMON));
	ASSERT(says("P@ssw0rd", COMMON));
	ASSERT(says("qwertyuiop", COMMON));
	ASSERT(says("monkey12", COMMON));
	ASSERT(says("trustno1", COMMON));
	ASSERT(says("  PASSWORD1 ", COMMON));	/* trimmed, lowercased */
	ASSERT(says("31415926535", NUMERIC));
	ASSERT(says("20241225", NUMERIC));
	ASSERT(says("\xd9\xa3\xd9\xa1\xd9\xa4\xd9\xa1\xd9\xa5\xd9\xa9\xd9\xa2"
	    "\xd9\xa6\xd9\xa5", NUMERIC));	/* Arabic-Indic digits */
	ASSERT(says("janedoe123", USER));
	ASSERT(says("Janedoe2024", USER));
	/* half of the characters, not of the bytes: 7 of 13 code points */
	ASSERT(says("janedoe\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", USER));
	ASSERT(policy_check("marguerite1", "bookfan", "marguerite@example.com",
	    0) != NULL && strcmp(policy_check("marguerite1", "bookfan",
	    "marguerite@example.com", 0), EMAIL) == 0);
	/* the optional entropy floor */
	ASSERT(policy_check("bookworm42", "janedoe", "jane@example.com", 60) !=
	    NULL);
	ASSERT(policy_check("bookworm42", "janedoe", "jane@example.com", 20) ==
	    NULL);
	return unit_done("test-policy");
}
