/*
 * A name's identity (SPEC "POST register" 2, 4-6, "POST login"): the form
 * in which a username or an email address is stored, and the key under
 * which it is unique and looked up.  Register, login, authctl and its
 * Django import all go through here, so that an account made one way is
 * found the other.
 */
#ifndef NAMES_H
#define NAMES_H

enum names_kind {
	NAMES_USERNAME,
	NAMES_EMAIL
};

/*
 * The stored form of a typed name: stripped as Python's str.strip() does,
 * then NFKC-normalised (a username, as Django stores it) or lowercased as
 * Python's str.lower() (an email).  NULL if typed is not UTF-8 or without
 * memory; the caller frees it.
 */
char	*names_stored(enum names_kind kind, const char *typed);

/*
 * The unique key of a name, typed or stored (it is stripped first).  A
 * username's is its NFKC case fold without default-ignorable characters,
 * so JANE, jane and ｊａｎｅ are one name, and a name made only of
 * invisible characters has the empty key, which matches nothing.  An
 * email's is its local part lowercased and case-folded, "@", and its
 * domain in IDNA ASCII form after UTS #46 mapping (libidn2), so that
 * u@bücher.de and u@xn--bcher-kva.de are one address; a domain IDNA
 * refuses (a literal such as [127.0.0.1]) is case-folded instead.  NULL
 * if name is not UTF-8 or without memory; the caller frees it.
 */
char	*names_key(enum names_kind kind, const char *name);

#endif
