/*
 * The AUTH_* environment, read strictly: digits only for numbers, every
 * number inside its range, the secret at least 32 bytes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef WITH_PG
#include <libpq-fe.h>
#endif

#include "conf.h"
#include "crypto.h"
#include "num.h"
#include "pw.h"

#define DAY		86400LL
#define TTL_MAX		(3650 * DAY)	/* ten years is already absurd */

#ifndef AUTH_DB_DEFAULT
#define AUTH_DB_DEFAULT "db/auth.db"
#endif

/*
 * The FastCGI request's parameters conf_load_params reads before the
 * environment (NULL otherwise); set only while it runs.
 */
static char *const *reading;

/*
 * The value of the setting name, or NULL: the first of the request's
 * parameters that names it (as getenv finds the first), else the
 * environment's.
 */
static const char *
setting(const char *name)
{
	char *const	*p;
	size_t		 len = strlen(name);

	for (p = reading; p != NULL && *p != NULL; p++)
		if (strncmp(*p, name, len) == 0 && (*p)[len] == '=')
			return *p + len + 1;
	return getenv(name);
}

/*
 * An integer setting: unset gives def; otherwise only decimal digits
 * within [min, max] are accepted.  Returns -1 (logged) on anything else.
 */
static int
num(const char *name, long long def, long long min, long long max,
    long long *out)
{
	const char	*s = setting(name);
	unsigned long long v;

	if (s == NULL) {
		*out = def;
		return 0;
	}
	if (num_parse(s, strlen(s), (unsigned long long)max, &v) != NUM_OK ||
	    v < (unsigned long long)min) {
		fprintf(stderr, "conf: %s: \"%.32s\" is not an integer from "
		    "%lld to %lld\n", name, s, min, max);
		return -1;
	}
	*out = (long long)v;
	return 0;
}

/* AUTH_MIN_PASSWORD_ENTROPY: bits, digits with an optional fraction. */
static int
entropy(double *out)
{
	const char	*s = setting("AUTH_MIN_PASSWORD_ENTROPY");
	char		*end;
	size_t		 digits;

	*out = 0;
	if (s == NULL)
		return 0;
	digits = strspn(s, "0123456789");
	if (digits > 0 && s[digits] == '.' && s[digits + 1] != '\0')
		digits += 1 + strspn(s + digits + 1, "0123456789");
	errno = 0;
	*out = strtod(s, &end);
	if (digits == 0 || s[digits] != '\0' || end != s + digits ||
	    errno != 0 || *out > 1000) {
		fprintf(stderr, "conf: AUTH_MIN_PASSWORD_ENTROPY: \"%.32s\" is "
		    "not a number of bits from 0 to 1000\n", s);
		return -1;
	}
	return 0;
}

/* Read the key file: at most CONF_SECRET_MAX bytes, one final newline off. */
static int
secret_file(struct conf *cf, const char *path)
{
	ssize_t	 n;
	size_t	 len = 0;
	int	 fd;
	char	 extra;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		fprintf(stderr, "conf: AUTH_JWT_SECRET_FILE: %s: %s\n", path,
		    strerror(errno));
		return -1;
	}
	while (len < sizeof(cf->secret)) {
		n = read(fd, cf->secret + len, sizeof(cf->secret) - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fprintf(stderr, "conf: AUTH_JWT_SECRET_FILE: %s: %s\n",
			    path, strerror(errno));
			close(fd);
			return -1;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len == sizeof(cf->secret) && read(fd, &extra, 1) == 1) {
		close(fd);
		fprintf(stderr, "conf: AUTH_JWT_SECRET_FILE: %s: longer than "
		    "%d bytes\n", path, CONF_SECRET_MAX);
		return -1;
	}
	close(fd);
	if (len > 0 && cf->secret[len - 1] == '\n')
		len--;
	if (len > 0 && cf->secret[len - 1] == '\r')
		len--;
	cf->secretlen = len;
	return 0;
}

static int
secret(struct conf *cf)
{
	const char	*s = setting("AUTH_JWT_SECRET");
	const char	*f = setting("AUTH_JWT_SECRET_FILE");
	size_t		 len;

	cf->secretlen = 0;
	if (s != NULL && f != NULL) {
		fprintf(stderr, "conf: AUTH_JWT_SECRET and AUTH_JWT_SECRET_FILE "
		    "are both set; set one\n");
		return -1;
	}
	if (s != NULL) {
		if ((len = strlen(s)) > sizeof(cf->secret)) {
			fprintf(stderr, "conf: AUTH_JWT_SECRET: longer than %d "
			    "bytes\n", CONF_SECRET_MAX);
			return -1;
		}
		memcpy(cf->secret, s, len);
		cf->secretlen = len;
	} else if (f != NULL) {
		if (secret_file(cf, f) == -1)
			return -1;
	} else
		return 0;	/* the database's generated key */
	if (cf->secretlen < CONF_SECRET_MIN) {
		fprintf(stderr, "conf: %s: the key has %zu bytes; HS256 needs "
		    "at least %d (RFC 7518 3.2)\n", s != NULL ?
		    "AUTH_JWT_SECRET" : "AUTH_JWT_SECRET_FILE", cf->secretlen,
		    CONF_SECRET_MIN);
		return -1;
	}
	return 0;
}

/*
 * AUTH_HASH_SLOTS_FILE: the hashing slots' lock file (slot.c).  Unset, it
 * is the SQLite file's name with "-slots" added; a PostgreSQL AUTH_DB has
 * no file, so the compiled-in default database's (its directory is the
 * install's db/, which the web server may write).  Returns 0 or -1
 * (logged).
 */
static int
slots_file(struct conf *cf)
{
	const char	*s = setting("AUTH_HASH_SLOTS_FILE");
	const char	*base = cf->db_path;
	int		 n;

	if (s != NULL) {
		if (*s == '\0' || strlen(s) >= CONF_PATH_MAX) {
			fprintf(stderr, "conf: AUTH_HASH_SLOTS_FILE: empty or "
			    "too long\n");
			return -1;
		}
		strcpy(cf->slots_path, s);
		return 0;
	}
	if (strncmp(base, "postgresql://", 13) == 0 ||
	    strncmp(base, "postgres://", 11) == 0)
		base = AUTH_DB_DEFAULT;
	n = snprintf(cf->slots_path, sizeof(cf->slots_path), "%s%s", base,
	    CONF_SLOTS_SUFFIX);
	if (n < 0 || (size_t)n >= sizeof(cf->slots_path)) {
		fprintf(stderr, "conf: AUTH_HASH_SLOTS_FILE: the default is "
		    "too long\n");
		return -1;
	}
	return 0;
}

/* Every AUTH_* variable this version reads (SPEC "Configuration"). */
static const char *const known[] = {
	"AUTH_DB",
	"AUTH_JWT_SECRET",
	"AUTH_JWT_SECRET_FILE",
	"AUTH_ACCESS_TTL",
	"AUTH_REFRESH_TTL",
	"AUTH_PBKDF2_ITERATIONS",
	"AUTH_RATE_LIMIT",
	"AUTH_RATE_WINDOW",
	"AUTH_RATE_REGISTER",
	"AUTH_RATE_LOGIN",
	"AUTH_RATE_REFRESH",
	"AUTH_RATE_PASSWORD",
	"AUTH_ROTATE_REFRESH",
	"AUTH_REFRESH_REUSE_GRACE",
	"AUTH_RATE_ACCOUNT",
	"AUTH_RATE_ACCOUNT_WINDOW",
	"AUTH_EVENT_DAYS",
	"AUTH_TRUSTED_PROXIES",
	"AUTH_MIN_PASSWORD_ENTROPY",
	"AUTH_HASH_SLOTS",
	"AUTH_HASH_SLOTS_FILE",
};

int
conf_is_setting(const char *entry)
{
	/* AUTH_TYPE is not ours: the CGI meta-variable (RFC 3875 4.1.1). */
	return strncmp(entry, "AUTH_", 5) == 0 &&
	    strncmp(entry, "AUTH_TYPE=", 10) != 0;
}

/*
 * SPEC "Configuration": an AUTH_* name this version does not know is an
 * error like a malformed value, so that a typo (AUTH_RATE_LIMTI=0) is
 * not silently ignored.  Returns 0, or -1 (logged).
 */
static int
unknown_in(char *const *list)
{
	char *const	*e;
	char		 name[65];
	size_t		 len, i;

	for (e = list; e != NULL && *e != NULL; e++) {
		if (!conf_is_setting(*e))
			continue;
		len = strcspn(*e, "=");
		for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
			if (strlen(known[i]) == len &&
			    strncmp(known[i], *e, len) == 0)
				break;
		if (i < sizeof(known) / sizeof(known[0]))
			continue;
		/* The name as a log line can carry it: no control bytes. */
		for (i = 0; i < len && i < sizeof(name) - 1; i++)
			name[i] = (*e)[i] > ' ' && (*e)[i] < 0x7f ? (*e)[i] : '?';
		name[i] = '\0';
		fprintf(stderr, "conf: %s%s: not a setting this version knows "
		    "(misspelt?)\n", name, len > i ? "..." : "");
		return -1;
	}
	return 0;
}

/* unknown_in the request's parameters, then in the environment. */
static int
unknown_names(void)
{
	extern char	**environ;

	return unknown_in(reading) == -1 || unknown_in(environ) == -1 ? -1 : 0;
}

#ifdef WITH_PG
/*
 * A PostgreSQL AUTH_DB that libpq cannot read is a broken configuration
 * (500), not an unreachable database (503 on every request).  libpq's
 * reason may quote the password: not logged.  0, or -1 logged.
 */
static int
pg_uri_check(const char *db)
{
	PQconninfoOption *opts;
	char		*err = NULL;

	if (strncmp(db, "postgresql://", 13) != 0 &&
	    strncmp(db, "postgres://", 11) != 0)
		return 0;
	if ((opts = PQconninfoParse(db, &err)) != NULL) {
		PQconninfoFree(opts);
		return 0;
	}
	fprintf(stderr, "conf: AUTH_DB: %s\n", err == NULL ? "out of memory" :
	    "not a connection URI libpq reads (its reason is not shown: it "
	    "may quote the password)");
	PQfreemem(err);
	return -1;
}
#endif

static int
load(struct conf *cf)
{
	const char	*db = setting("AUTH_DB");
	const char	*proxies = setting("AUTH_TRUSTED_PROXIES");
	long long	 v;
	int		 n;

	memset(cf, 0, sizeof(*cf));
	if (unknown_names() == -1)
		return -1;
	if (db == NULL)
		db = AUTH_DB_DEFAULT;
	if (*db == '\0' || strlen(db) >= sizeof(cf->db_path)) {
		fprintf(stderr, "conf: AUTH_DB: empty or too long\n");
		return -1;
	}
	strcpy(cf->db_path, db);
#ifdef WITH_PG
	if (pg_uri_check(db) == -1)
		return -1;
#else
	/*
	 * A broken configuration (500), not an unreachable database (503,
	 * retried): db.c would refuse it on every request.
	 */
	if (strncmp(db, "postgresql://", 13) == 0 ||
	    strncmp(db, "postgres://", 11) == 0) {
		fprintf(stderr, "conf: AUTH_DB is a PostgreSQL URI, but this "
		    "build has no PostgreSQL (make DB=postgresql)\n");
		return -1;
	}
#endif
	if (num("AUTH_ACCESS_TTL", 300, 1, TTL_MAX, &cf->access_ttl) == -1 ||
	    num("AUTH_REFRESH_TTL", DAY, 1, TTL_MAX, &cf->refresh_ttl) == -1 ||
	    num("AUTH_PBKDF2_ITERATIONS", 600000, 1,
	    PW_ITERATIONS_MAX, &v) == -1)
		return -1;
	cf->iterations = (unsigned long)v;
	if (num("AUTH_RATE_LIMIT", 1, 0, 1, &v) == -1 ||
	    num("AUTH_RATE_WINDOW", 300, 1, 365 * DAY, &cf->rate_window) == -1 ||
	    num("AUTH_RATE_REGISTER", 5, 1, 1000000,
	    &cf->rate_max[RATE_REGISTER]) == -1 ||
	    num("AUTH_RATE_LOGIN", 10, 1, 1000000,
	    &cf->rate_max[RATE_LOGIN]) == -1 ||
	    num("AUTH_RATE_REFRESH", 15, 1, 1000000,
	    &cf->rate_max[RATE_REFRESH]) == -1 ||
	    num("AUTH_RATE_PASSWORD", 10, 1, 1000000,
	    &cf->rate_max[RATE_PASSWORD]) == -1)
		return -1;
	cf->rate_on = (int)v;
	/*
	 * Password hashes at once on this machine; unset means one per core,
	 * counted by slot.c only when a hash is due, not at every start.
	 */
	if (num("AUTH_HASH_SLOTS", CONF_SLOTS_CORES, 0, CONF_SLOTS_MAX, &v) == -1)
		return -1;
	cf->hash_slots = (long)v;
	if (slots_file(cf) == -1)
		return -1;
	/* SPEC "Refresh rotation": off by default, as in the original. */
	if (num("AUTH_ROTATE_REFRESH", 0, 0, 1, &v) == -1 ||
	    num("AUTH_REFRESH_REUSE_GRACE", 10, 0, DAY,
	    &cf->reuse_grace) == -1)
		return -1;
	cf->rotate = (int)v;
	/* SPEC "Per-account throttle", "Audit log". */
	if (num("AUTH_RATE_ACCOUNT", 20, 0, 1000000, &cf->account_max) == -1 ||
	    num("AUTH_RATE_ACCOUNT_WINDOW", 3600, 1, 365 * DAY,
	    &cf->account_window) == -1 ||
	    num("AUTH_EVENT_DAYS", 90, 1, 36500, &cf->event_days) == -1)
		return -1;
	if (proxies != NULL) {
		n = client_parse_proxies(proxies, cf->proxies, CONF_PROXIES_MAX);
		if (n < 0) {
			fprintf(stderr, "conf: AUTH_TRUSTED_PROXIES: \"%.64s\" is "
			    "not a comma-separated list of at most %d IPs or "
			    "CIDRs\n", proxies, CONF_PROXIES_MAX);
			return -1;
		}
		cf->nproxies = (size_t)n;
	}
	if (entropy(&cf->min_entropy) == -1 || secret(cf) == -1) {
		conf_free(cf);
		return -1;
	}
	return 0;
}

int
conf_load(struct conf *cf)
{
	return conf_load_params(cf, NULL);
}

int
conf_load_params(struct conf *cf, char *const *params)
{
	int	 rc;

	reading = params;
	rc = load(cf);
	reading = NULL;
	return rc;
}

void
conf_free(struct conf *cf)
{
	crypto_cleanse(cf->secret, sizeof(cf->secret));
	cf->secretlen = 0;
}
