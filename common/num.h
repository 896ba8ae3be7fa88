/*
 * Decimal numbers as they come from outside (the AUTH_* settings,
 * CONTENT_LENGTH, a stored hash's iteration count, a token's user_id,
 * authctl's operands and a Django export's fields): ASCII digits only,
 * with no sign, space, "+" or base prefix, read by one function.
 */
#ifndef NUM_H
#define NUM_H

#include <stddef.h>

enum num_verdict {
	NUM_OK,
	NUM_NOT,	/* empty, or a byte that is not a digit */
	NUM_BIG		/* digits, but more than the maximum */
};

/*
 * The len bytes at s as a decimal number no larger than max.  Stops at
 * the first byte that is not a digit (NUM_NOT), so a NUL-terminated s
 * shorter than len is never read past its end.  NUM_OK sets *v; NUM_BIG
 * sets it to max + 1 (saturated if that overflows).
 */
enum num_verdict num_parse(const char *s, size_t len, unsigned long long max,
	    unsigned long long *v);

#endif
