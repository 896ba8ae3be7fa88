/*
 * conf.c: defaults, strict parsing, every malformed value refused.
 */
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "unit.h"

static int
loads(const char *name, const char *value)
{
	struct conf	 cf;
	int		 rc;

	setenv(name, value, 1);
	rc = conf_load(&cf);
	unsetenv(name);
	conf_free(&cf);
	return rc == 0;
}

int
main(void)
{
	struct conf	 cf;
	static const char *const bad[][2] = {
		{ "AUTH_ACCESS_TTL", "abc" }, { "AUTH_ACCESS_TTL", "-1" },
		{ "AUTH_ACCESS_TTL", "0" }, { "AUTH_ACCESS_TTL", "" },
		{ "AUTH_ACCESS_TTL", " 300" }, { "AUTH_ACCESS_TTL", "300 " },
		{ "AUTH_ACCESS_TTL", "+300" }, { "AUTH_ACCESS_TTL", "1e3" },
		{ "AUTH_ACCESS_TTL", "99999999999999999999999" },
		{ "AUTH_REFRESH_TTL", "1.5" }, { "AUTH_PBKDF2_ITERATIONS", "0" },
		{ "AUTH_RATE_LIMIT", "2" }, { "AUTH_RATE_LIMIT", "yes" },
		{ "AUTH_RATE_WINDOW", "0" }, { "AUTH_RATE_REGISTER", "0" },
		{ "AUTH_RATE_LOGIN", "ten" }, { "AUTH_RATE_REFRESH", "-3" },
		{ "AUTH_TRUSTED_PROXIES", "not-an-ip" },
		{ "AUTH_MIN_PASSWORD_ENTROPY", "x" },
		{ "AUTH_MIN_PASSWORD_ENTROPY", "-1" },
		{ "AUTH_MIN_PASSWORD_ENTROPY", "1." },
		{ "AUTH_MIN_PASSWORD_ENTROPY", "nan" },
		{ "AUTH_JWT_SECRET", "short" },
		{ "AUTH_JWT_SECRET", "0123456789012345678901234567890" },
		{ "AUTH_JWT_SECRET_FILE", "/nonexistent/key" },
		{ "AUTH_DB", "" },
		{ "AUTH_HASH_SLOTS_FILE", "" },
	};
	size_t	 i;
	int	 n = 0;

	unsetenv("AUTH_DB");
	ASSERT(conf_load(&cf) == 0);
	ASSERT(cf.access_ttl == 300 && cf.refresh_ttl == 86400);
	ASSERT(cf.iterations == 600000 && cf.rate_on == 1);
	ASSERT(cf.rate_window == 300 && cf.rate_max[RATE_REGISTER] == 5 &&
	    cf.rate_max[RATE_LOGIN] == 10 && cf.rate_max[RATE_REFRESH] == 15);
	ASSERT(cf.secretlen == 0 && cf.nproxies == 0 && cf.min_entropy == 0);
	ASSERT(strcmp(cf.db_path + strlen(cf.db_path) - 10, "db/auth.db") == 0);
	conf_free(&cf);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (!loads(bad[i][0], bad[i][1]))
			n++;
		else
			fprintf(stderr, "accepted %s=%s\n", bad[i][0], bad[i][1]);
	ASSERT(n == (int)(sizeof(bad) / sizeof(bad[0])));
	ASSERT(loads("AUTH_ACCESS_TTL", "60"));
	ASSERT(loads("AUTH_RATE_LIMIT", "0"));
	ASSERT(loads("AUTH_MIN_PASSWORD_ENTROPY", "40.5"));
	ASSERT(loads("AUTH_JWT_SECRET", "01234567890123456789012345678901"));
	ASSERT(loads("AUTH_TRUSTED_PROXIES", "127.0.0.1,::1,10.0.0.0/8"));

	/*
	 * The hashing slots' file: beside a SQLite AUTH_DB; for a PostgreSQL
	 * one, beside the compiled-in default database; or as set.
	 */
	setenv("AUTH_DB", "/tmp/x.db", 1);
	ASSERT(conf_load(&cf) == 0);
	ASSERT(strcmp(cf.slots_path, "/tmp/x.db-slots") == 0);
	conf_free(&cf);
	setenv("AUTH_HASH_SLOTS_FILE", "/tmp/slots", 1);
	ASSERT(conf_load(&cf) == 0);
	ASSERT(strcmp(cf.slots_path, "/tmp/slots") == 0);
	conf_free(&cf);
	unsetenv("AUTH_HASH_SLOTS_FILE");
#ifdef WITH_PG
	setenv("AUTH_DB", "postgresql://u:secret@h/d", 1);
	ASSERT(conf_load(&cf) == 0);
	ASSERT(strlen(cf.slots_path) > 16 && strcmp(cf.slots_path +
	    strlen(cf.slots_path) - 16, "db/auth.db-slots") == 0);
	ASSERT(strstr(cf.slots_path, "secret") == NULL);
	conf_free(&cf);
	/* One libpq cannot read: a configuration error, as a bad number. */
	ASSERT(!loads("AUTH_DB", "postgresql://u:secret@h/d?nosuchoption=1"));
	ASSERT(!loads("AUTH_DB", "postgres://u:%zz@h/d"));
	ASSERT(!loads("AUTH_DB", "postgresql://[::1/d"));
	ASSERT(loads("AUTH_DB", "postgresql:///auth?host=%2Frun%2Fpgbouncer"));
#endif
	unsetenv("AUTH_DB");

	/* both secrets at once is ambiguous */
	setenv("AUTH_JWT_SECRET", "01234567890123456789012345678901", 1);
	ASSERT(!loads("AUTH_JWT_SECRET_FILE", "/dev/null"));
	unsetenv("AUTH_JWT_SECRET");
	return unit_done("test-conf");
}
