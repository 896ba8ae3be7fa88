/*
 * Hashing slots as byte-range locks on one file (AUTH_HASH_SLOTS_FILE,
 * by default beside the SQLite database): slot i
 * is byte i, held with an open file description lock (F_OFD_SETLK).  The
 * kernel releases a lock when its holder exits, however it exits, so a
 * killed request never leaks a slot, and nothing needs cleaning up.
 */
#define _GNU_SOURCE	/* F_OFD_SETLK */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "conf.h"
#include "slot.h"

static int
lock_byte(int fd, long i, short type)
{
	struct flock	 fl;

	memset(&fl, 0, sizeof(fl));
	fl.l_type = type;
	fl.l_whence = SEEK_SET;
	fl.l_start = i;
	fl.l_len = 1;
	return fcntl(fd, F_OFD_SETLK, &fl);
}

int
slot_take(const struct conf *cf, struct slot *s)
{
	const char	*path = cf->slots_path;
	struct timespec	 nap;
	long long	 deadline;
	long		 i, first, n = cf->hash_slots;

	s->fd = -1;
	if (n == 0)
		return 200;	/* no cap */
	if (n == CONF_SLOTS_CORES &&
	    ((n = sysconf(_SC_NPROCESSORS_ONLN)) < 1 || n > CONF_SLOTS_MAX))
		n = n < 1 ? 1 : CONF_SLOTS_MAX;
	s->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (s->fd == -1) {
		fprintf(stderr, "slot: %s: %s\n", path, strerror(errno));
		return 503;
	}
	/* Start at a different slot per process, so takers rarely collide. */
	first = (long)(getpid() % n);
	deadline = clock_ms() + SLOT_WAIT_MS;
	do {
		for (i = 0; i < n; i++)
			if (lock_byte(s->fd, (first + i) % n,
			    F_WRLCK) == 0)
				return 200;
		if (errno != EAGAIN && errno != EACCES) {
			fprintf(stderr, "slot: %s: %s\n", path, strerror(errno));
			break;
		}
		/* 5-15 ms, different per process: no lockstep retries. */
		nap.tv_sec = 0;
		nap.tv_nsec = (5 + (long)((getpid() + clock_ms()) % 11)) * 1000000L;
		nanosleep(&nap, NULL);
	} while (clock_ms() < deadline);
	close(s->fd);
	s->fd = -1;
	return 503;
}

void
slot_give(struct slot *s)
{
	if (s->fd != -1)
		close(s->fd);	/* closing the description drops its lock */
	s->fd = -1;
}
