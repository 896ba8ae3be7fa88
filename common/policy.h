/*
 * The password policy of SPEC "POST register" 7, judged with libzxcvbn.
 */
#ifndef POLICY_H
#define POLICY_H

/*
 * Judge password (NUL-terminated UTF-8) for a user with this username and
 * email.  Returns NULL if it is acceptable, else Django's message for the
 * first rule it breaks (a static string).  min_entropy 0 turns the
 * entropy rule off.
 */
const char *policy_check(const char *password, const char *username,
	    const char *email, double min_entropy);

/*
 * Load libzxcvbn (on first use, not at start: see policy.c).  Returns 0,
 * or -1 (logged) if it cannot be loaded; policy_check then refuses every
 * password rather than pass one unjudged.
 */
int	policy_ready(void);

#endif
