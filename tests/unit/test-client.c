/*
 * client.c: who is counted (SPEC "Rate limiting", client rules).
 */
#include <string.h>

#include "client.h"
#include "unit.h"

static struct cidr	 proxies[8];
static int		 nproxies;

static int
is(const char *remote, const char *xff, const char *want)
{
	char	 key[CLIENT_KEY_MAX];

	client_key(proxies, (size_t)nproxies, remote, xff, key);
	if (strcmp(key, want) != 0) {
		fprintf(stderr, "client %s / %s: want %s, got %s\n", remote,
		    xff != NULL ? xff : "-", want, key);
		return 0;
	}
	return 1;
}

int
main(void)
{
	nproxies = client_parse_proxies("", proxies, 8);
	ASSERT(nproxies == 0);
	/* no trusted proxy: X-Forwarded-For is ignored */
	ASSERT(is("1.2.3.4", "9.9.9.9", "1.2.3.4"));
	ASSERT(is("127.0.0.1", "9.9.9.9", "127.0.0.1"));
	/* IPv6 per /64, IPv4-mapped as IPv4 */
	ASSERT(is("2001:db8:1:2::1", NULL, "2001:db8:1:2::/64"));
	ASSERT(is("2001:db8:1:2:ffff:ffff:ffff:ffff", NULL, "2001:db8:1:2::/64"));
	ASSERT(is("2001:db8:1:3::1", NULL, "2001:db8:1:3::/64"));
	ASSERT(is("::ffff:10.0.0.1", NULL, "10.0.0.1"));
	/* unparsable counts as itself; missing as the empty client */
	ASSERT(is("garbage", NULL, "garbage"));
	ASSERT(is(NULL, NULL, ""));

	nproxies = client_parse_proxies("127.0.0.1, 10.0.0.0/8,fd00::/8",
	    proxies, 8);
	ASSERT(nproxies == 3);
	ASSERT(is("127.0.0.1", "1.2.3.4", "1.2.3.4"));
	ASSERT(is("127.0.0.1", NULL, "127.0.0.1"));
	/* the right-most entry that is not a trusted proxy */
	ASSERT(is("127.0.0.1", "6.6.6.6, 1.2.3.4", "1.2.3.4"));
	ASSERT(is("127.0.0.1", "6.6.6.6, 1.2.3.4, 10.1.2.3", "1.2.3.4"));
	ASSERT(is("127.0.0.1", " 1.2.3.4 ,", "1.2.3.4"));
	ASSERT(is("127.0.0.1", "2001:db8::5", "2001:db8::/64"));
	ASSERT(is("127.0.0.1", "[2001:db8::5]:443", "2001:db8::/64"));
	ASSERT(is("127.0.0.1", "1.2.3.4:5678", "1.2.3.4"));
	ASSERT(is("127.0.0.1", "1.2.3.4, garbage", "garbage"));
	ASSERT(is("127.0.0.1", "10.0.0.1, 10.0.0.2", "10.0.0.1"));
	ASSERT(is("10.9.9.9", "5.5.5.5", "5.5.5.5"));
	ASSERT(is("11.0.0.1", "5.5.5.5", "11.0.0.1"));	/* not trusted */
	ASSERT(is("fd12::1", "5.5.5.5", "5.5.5.5"));

	/* malformed proxy lists are refused */
	ASSERT(client_parse_proxies("not-an-ip", proxies, 8) == -1);
	ASSERT(client_parse_proxies("10.0.0.0/33", proxies, 8) == -1);
	ASSERT(client_parse_proxies("10.0.0.0/", proxies, 8) == -1);
	ASSERT(client_parse_proxies("10.0.0.0/-1", proxies, 8) == -1);
	ASSERT(client_parse_proxies("::1/129", proxies, 8) == -1);
	ASSERT(client_parse_proxies("1.1.1.1,,2.2.2.2", proxies, 8) == -1);
	ASSERT(client_parse_proxies("1.1.1.1,2.2.2.2", proxies, 1) == -1);
	return unit_done("test-client");
}
