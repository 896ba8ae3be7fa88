/*
 * JSON text from outside: the strict checks cJSON lacks, run before it
 * parses, and the members of a parsed object as Python's json sees them
 * (the last of duplicate keys; a number as written).
 */
#ifndef JSON_H
#define JSON_H

#include <stddef.h>

#include <cJSON.h>

/*
 * json_check() rewrites each \u0000 escape inside a JSON string as six
 * bytes of this value (a byte that valid UTF-8 never holds), so that the
 * schema can refuse the string (SPEC "Reading the request body" 5) instead
 * of cJSON silently cutting it short at an embedded NUL.
 */
#define JSON_NUL_MARK	0xff

/*
 * The strictness that cJSON lacks, checked on len bytes of JSON text
 * before cJSON parses them: no raw control characters in strings, only
 * JSON's escapes (cJSON turns "\uZZZZ" into a NUL), numbers as JSON writes
 * them (no "01", "1." or "+1"), and each \u0000 marked as JSON_NUL_MARK.
 * Returns 0, or -1 if the text cannot be JSON.
 */
int	json_check(char *s, size_t len);

/*
 * The member name of object o, the last one where the key repeats (as
 * Python's json keeps the last).  NULL if o is no object or has none.
 */
const cJSON *json_member(const cJSON *o, const char *name);

/*
 * Where the value of member (a member of the object o, which cJSON parsed
 * from the len bytes of JSON text at json) is written in that text: sets
 * *start and *vlen to its bytes, so that a number can be judged as
 * written ("1", not "1e0" or "0.99999999999999999999", which cJSON reads
 * as the same double).  Returns 0, or -1 if member is not o's.
 */
int	json_member_text(const char *json, size_t len, const cJSON *o,
	    const cJSON *member, size_t *start, size_t *vlen);

#endif
