/*
 * A minimal unit-test harness (Monocypher style): ASSERT prints file:line
 * and counts; main returns unit_done().
 */
#ifndef UNIT_H
#define UNIT_H

#include <stdio.h>

static int unit_pass, unit_fail;

#define ASSERT(cond) do {						\
	if (cond)							\
		unit_pass++;						\
	else {								\
		unit_fail++;						\
		fprintf(stderr, "%s:%d: FAIL: %s\n", __FILE__, __LINE__,	\
		    #cond);						\
	}								\
} while (0)

static inline int
unit_done(const char *name)
{
	printf("%s: %d passed, %d failed\n", name, unit_pass, unit_fail);
	return unit_fail == 0 ? 0 : 1;
}

#endif
