/*
 * The monotonic clock, for waits and deadlines (the hashing slots,
 * SQLite's busy handler, PostgreSQL's 5 s deadline): never the time of
 * day, which an operator or NTP may step.
 */
#ifndef CLOCK_H
#define CLOCK_H

/* Microseconds, and milliseconds, since an arbitrary fixed point. */
long long	clock_us(void);
long long	clock_ms(void);

#endif
