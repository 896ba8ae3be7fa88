/*
 * Input validation: the request schema with its 422 error list (SPEC
 * "Reading the request body" 3-6), and the email and username rules of
 * SPEC "POST register" 3 and 4.
 */
#ifndef VALID_H
#define VALID_H

#include <stddef.h>

#include <cJSON.h>

/*
 * valid_json_text() rewrites each \u0000 escape inside a JSON string as six
 * bytes of this value (a byte that valid UTF-8 never holds), so that the
 * schema can refuse the string (SPEC "Reading the request body" 5) instead
 * of cJSON silently cutting it short at an embedded NUL.
 */
#define VALID_NUL_MARK	0xff

/* One string field of an endpoint's schema; lengths in code points. */
struct field {
	const char	*name;
	long		 min;
	long		 max;	/* 0: no upper bound */
};

/*
 * The strictness that cJSON lacks, checked on len bytes of JSON text
 * before cJSON parses them: no raw control characters in strings, only
 * JSON's escapes (cJSON turns "\uZZZZ" into a NUL), numbers as JSON writes
 * them (no "01", "1." or "+1"), and each \u0000 marked as VALID_NUL_MARK.
 * Returns 0, or -1 if the text cannot be JSON.
 */
int	valid_json_text(char *s, size_t len);

/*
 * The member name of object o, the last one where the key repeats (as
 * Python's json keeps the last).  NULL if o is no object or has none.
 */
const cJSON *valid_member(const cJSON *o, const char *name);

/*
 * Where the value of member (a member of the object o, which cJSON parsed
 * from the len bytes of JSON text at json) is written in that text: sets
 * *start and *vlen to its bytes, so that a number can be judged as
 * written ("1", not "1e0" or "0.99999999999999999999", which cJSON reads
 * as the same double).  Returns 0, or -1 if member is not o's.
 */
int	valid_member_text(const char *json, size_t len, const cJSON *o,
	    const cJSON *member, size_t *start, size_t *vlen);

/*
 * Check the parsed body in (NULL for an empty body) against n fields.
 * Returns 200 with vals[i] pointing at each field's string inside in, or
 * 422 with *out set to the whole "Validation error." body listing every
 * failing field in order, or 500 without memory.  The caller frees *out.
 */
int	valid_body(const cJSON *in, const struct field *fields, size_t n,
	    const char **vals, cJSON **out);

/* Non-zero if s (stripped and lowercased) passes Django's validate_email. */
int	valid_email(const char *s);

/*
 * Non-zero if s (stripped and NFKC-normalised) is a valid username: not
 * empty, only letters, digits, combining marks and @ . + - _.
 */
int	valid_username(const char *s);

#endif
