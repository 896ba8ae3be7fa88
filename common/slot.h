/*
 * The CPU-exhaustion guard: a password hash (PBKDF2 at the configured cost)
 * is the one expensive thing a client can make us do, so at most
 * AUTH_HASH_SLOTS of them run at once on the machine.  A request that finds
 * every slot taken for SLOT_WAIT_MS answers 503 with Retry-After instead
 * of adding one more hashing process to the pile.
 */
#ifndef SLOT_H
#define SLOT_H

#define SLOT_WAIT_MS	1000	/* a dozen hashes at the default cost */

struct conf;

struct slot {
	int	 fd;	/* the lock file, -1 when no slot is held */
};

/*
 * Take a hashing slot.  Returns 200 (held, or no cap configured), 503 when
 * all are busy or the lock file cannot be opened (logged).
 */
int	slot_take(const struct conf *cf, struct slot *s);

/* Give the slot back; safe on one never taken. */
void	slot_give(struct slot *s);

#endif
