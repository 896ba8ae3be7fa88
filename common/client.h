/*
 * Who the client is, for the attempt counter (SPEC "Rate limiting"):
 * REMOTE_ADDR, or the right-most X-Forwarded-For entry that is not a
 * trusted proxy when REMOTE_ADDR is one; IPv6 counted per /64.
 */
#ifndef CLIENT_H
#define CLIENT_H

#include <stddef.h>

#define CLIENT_KEY_MAX	72	/* an address, a prefix, or 64 bytes of junk */

/* One trusted proxy: an address with a prefix length (a CIDR). */
struct cidr {
	int		 family;	/* AF_INET or AF_INET6 */
	unsigned char	 addr[16];
	int		 bits;
};

/*
 * Parse a comma-separated list of IPs and CIDRs (AUTH_TRUSTED_PROXIES) into
 * at most max entries.  Returns the count, or -1 if any entry is malformed
 * or there are too many.
 */
int	client_parse_proxies(const char *list, struct cidr *out, size_t max);

/*
 * Write into key (CLIENT_KEY_MAX bytes) the client that a request from
 * remote_addr carrying forwarded_for (either may be NULL) is counted as:
 * a canonical IPv4 address, an IPv6 /64 prefix ("2001:db8::/64"), or, for
 * text that is no address, that text itself (cut at 64 bytes).
 */
void	client_key(const struct cidr *proxies, size_t nproxies,
	    const char *remote_addr, const char *forwarded_for, char *key);

#endif
