/*
 * One decimal parser for every number read from outside.
 */
#include <limits.h>

#include "num.h"

enum num_verdict
num_parse(const char *s, size_t len, unsigned long long max,
    unsigned long long *v)
{
	unsigned long long n = 0, d;
	size_t		 i;
	int		 big = 0;

	if (len == 0)
		return NUM_NOT;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return NUM_NOT;
		d = (unsigned long long)(s[i] - '0');
		/* Past max it only has to stay past it: no overflow. */
		if (!big && (d > max || n > (max - d) / 10))
			big = 1;
		else if (!big)
			n = n * 10 + d;
	}
	if (big) {
		*v = max < ULLONG_MAX ? max + 1 : ULLONG_MAX;
		return NUM_BIG;
	}
	*v = n;
	return NUM_OK;
}
