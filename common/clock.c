#include <time.h>

#include "clock.h"

long long
clock_us(void)
{
	struct timespec	 ts;

	/* Cannot fail: CLOCK_MONOTONIC exists and &ts is valid. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

long long
clock_ms(void)
{
	return clock_us() / 1000;
}
