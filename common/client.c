/*
 * Client addresses: parsing, trusted-proxy matching, the X-Forwarded-For
 * walk and the key under which the attempt counter counts a client.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "num.h"

#define JUNK_MAX	64	/* how much of a non-address is kept */

/* An address in binary; IPv4-mapped IPv6 (::ffff:a.b.c.d) becomes IPv4. */
struct addr {
	int		 family;
	unsigned char	 b[16];
};

/*
 * Parse len bytes of text as an address.  Tolerates what proxies write
 * around one: surrounding blanks, "[v6]" brackets, and a ":port" after an
 * IPv4 address or a bracketed IPv6 one.  Returns 0, or -1 if it is none.
 */
static int
parse_addr(const char *s, size_t len, struct addr *a)
{
	char		 buf[64];
	const char	*colon;

	while (len > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		len--;
	}
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (buf[0] == '[') {
		char *close = strchr(buf, ']');

		if (close == NULL || (close[1] != '\0' && close[1] != ':'))
			return -1;
		*close = '\0';
		memmove(buf, buf + 1, strlen(buf + 1) + 1);
		a->family = AF_INET6;
		if (inet_pton(AF_INET6, buf, a->b) != 1)
			return -1;
	} else if (inet_pton(AF_INET, buf, a->b) == 1) {
		a->family = AF_INET;
		return 0;
	} else if (inet_pton(AF_INET6, buf, a->b) == 1) {
		a->family = AF_INET6;
	} else {
		/* "1.2.3.4:8080": an IPv4 address with a port. */
		if ((colon = strchr(buf, ':')) == NULL ||
		    strchr(colon + 1, ':') != NULL)
			return -1;
		buf[colon - buf] = '\0';
		if (inet_pton(AF_INET, buf, a->b) != 1)
			return -1;
		a->family = AF_INET;
		return 0;
	}
	if (memcmp(a->b, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) == 0) {
		memmove(a->b, a->b + 12, 4);
		a->family = AF_INET;
	}
	return 0;
}

static int
cidr_match(const struct cidr *c, const struct addr *a)
{
	int	 full = c->bits / 8, rest = c->bits % 8;

	if (c->family != a->family)
		return 0;
	if (memcmp(c->addr, a->b, (size_t)full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	return ((c->addr[full] ^ a->b[full]) & (0xff << (8 - rest))) == 0;
}

static int
is_trusted(const struct cidr *p, size_t n, const struct addr *a)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (cidr_match(&p[i], a))
			return 1;
	return 0;
}

int
client_parse_proxies(const char *list, struct cidr *out, size_t max)
{
	const char	*p = list, *slash, *end, *stop;
	struct addr	 a;
	size_t		 n = 0, len, digits;
	unsigned long long bits;
	int		 maxbits;

	while (*p != '\0') {
		len = strcspn(p, ",");
		end = p + len;
		slash = memchr(p, '/', len);
		if (n == max ||
		    parse_addr(p, slash != NULL ? (size_t)(slash - p) : len,
		    &a) == -1)
			return -1;
		maxbits = a.family == AF_INET ? 32 : 128;
		bits = (unsigned long long)maxbits;
		if (slash != NULL) {
			digits = strspn(slash + 1, "0123456789");
			stop = slash + 1 + digits;
			while (stop < end && (*stop == ' ' || *stop == '\t'))
				stop++;
			if (stop != end || num_parse(slash + 1, digits,
			    (unsigned long long)maxbits, &bits) != NUM_OK)
				return -1;
		}
		out[n].family = a.family;
		memcpy(out[n].addr, a.b, sizeof(a.b));
		out[n].bits = (int)bits;
		n++;
		p = *end == ',' ? end + 1 : end;
	}
	return (int)n;
}

/* The counting key of one address: IPv4 as is, IPv6 as its /64. */
static void
addr_key(const struct addr *a, char *key)
{
	unsigned char	 b[16];

	if (a->family == AF_INET) {
		inet_ntop(AF_INET, a->b, key, CLIENT_KEY_MAX);
		return;
	}
	memcpy(b, a->b, 8);
	memset(b + 8, 0, 8);
	inet_ntop(AF_INET6, b, key, CLIENT_KEY_MAX - 4);
	strcat(key, "/64");
}

/* Text that is no address counts as itself: blanks trimmed, bounded. */
static void
junk_key(const char *s, size_t len, char *key)
{
	while (len > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		len--;
	}
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	if (len > JUNK_MAX)
		len = JUNK_MAX;
	memcpy(key, s, len);
	key[len] = '\0';
}

void
client_key(const struct cidr *proxies, size_t nproxies,
    const char *remote_addr, const char *forwarded_for, char *key)
{
	struct addr	 a;
	const char	*end, *start;
	size_t		 len;

	if (remote_addr == NULL)
		remote_addr = "";
	if (parse_addr(remote_addr, strlen(remote_addr), &a) == -1) {
		junk_key(remote_addr, strlen(remote_addr), key);
		return;
	}
	if (forwarded_for == NULL || !is_trusted(proxies, nproxies, &a)) {
		addr_key(&a, key);
		return;
	}
	/*
	 * Walk X-Forwarded-For from the right: each trusted proxy appended
	 * the address it saw, so the first entry that is not one of ours is
	 * the client; entries to its left are the client's to invent.
	 */
	end = forwarded_for + strlen(forwarded_for);
	while (end > forwarded_for) {
		start = end;
		while (start > forwarded_for && start[-1] != ',')
			start--;
		len = (size_t)(end - start);
		end = start > forwarded_for ? start - 1 : start;
		if (strspn(start, " \t") >= len)
			continue;	/* an empty entry names nobody */
		if (parse_addr(start, len, &a) == -1) {
			junk_key(start, len, key);
			return;
		}
		if (!is_trusted(proxies, nproxies, &a)) {
			addr_key(&a, key);
			return;
		}
	}
	/* Every hop was a trusted proxy: the left-most one is the client. */
	addr_key(&a, key);
}
