/*
 * Configuration: every AUTH_* variable of SPEC "Configuration", parsed once
 * per process with bounds.  A malformed value is an error, never a default.
 */
#ifndef CONF_H
#define CONF_H

#include <stddef.h>

#include "client.h"
#include "rate.h"

#define CONF_SECRET_MIN	32	/* RFC 7518 3.2: an HS256 key of 256 bits */
#define CONF_SECRET_MAX	4096
#define CONF_PROXIES_MAX 64
#define CONF_PATH_MAX	4096
#define CONF_SLOTS_MAX	1024
#define CONF_SLOTS_CORES (-1)	/* AUTH_HASH_SLOTS unset: one per core */
#define CONF_SLOTS_SUFFIX "-slots"	/* the slots file's default: the
					   database's name with this added */

struct conf {
	char		 db_path[CONF_PATH_MAX];	/* AUTH_DB */
	unsigned char	 secret[CONF_SECRET_MAX];	/* AUTH_JWT_SECRET[_FILE] */
	size_t		 secretlen;	/* 0: use the database's own key */
	long long	 access_ttl;	/* AUTH_ACCESS_TTL, seconds */
	long long	 refresh_ttl;	/* AUTH_REFRESH_TTL, seconds */
	unsigned long	 iterations;	/* AUTH_PBKDF2_ITERATIONS */
	int		 rate_on;	/* AUTH_RATE_LIMIT */
	long long	 rate_window;	/* AUTH_RATE_WINDOW, seconds */
	long long	 rate_max[RATE__MAX];	/* AUTH_RATE_{REGISTER,...} */
	struct cidr	 proxies[CONF_PROXIES_MAX];	/* AUTH_TRUSTED_PROXIES */
	size_t		 nproxies;
	double		 min_entropy;	/* AUTH_MIN_PASSWORD_ENTROPY, bits */
	long		 hash_slots;	/* AUTH_HASH_SLOTS, 0 = no cap, or
					   CONF_SLOTS_CORES */
	char		 slots_path[CONF_PATH_MAX + sizeof(CONF_SLOTS_SUFFIX)];
					/* AUTH_HASH_SLOTS_FILE */
	int		 rotate;	/* AUTH_ROTATE_REFRESH */
	long long	 reuse_grace;	/* AUTH_REFRESH_REUSE_GRACE, seconds */
	long long	 account_max;	/* AUTH_RATE_ACCOUNT, 0 = off */
	long long	 account_window;	/* AUTH_RATE_ACCOUNT_WINDOW, seconds */
	long long	 event_days;	/* AUTH_EVENT_DAYS */
};

/*
 * Fill cf from the environment.  Returns 0, or -1 after logging one line
 * that names the offending variable (the request then answers 500).
 */
int	conf_load(struct conf *cf);

/*
 * conf_load, with a FastCGI request's parameters ("NAME=value", NULL at
 * the end) read before the environment: a setting among them wins over
 * the environment's (it cannot unset one), and an AUTH_* name among them
 * this version does not know is an error as in the environment.
 */
int	conf_load_params(struct conf *cf, char *const *params);

/*
 * Whether entry ("NAME=value") is one of the settings' variables: AUTH_*,
 * but not the server's AUTH_TYPE.
 */
int	conf_is_setting(const char *entry);

/* Wipe the secret held in cf. */
void	conf_free(struct conf *cf);

#endif
