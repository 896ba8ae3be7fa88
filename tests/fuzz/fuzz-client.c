/*
 * libFuzzer harness: who the client is (client.c).  The input is
 *
 *	flags byte	bits 0-5: the room given to client_parse_proxies()
 *			(63 means CONF_PROXIES_MAX); bit 6: REMOTE_ADDR
 *			unset; bit 7: X-Forwarded-For unset
 *	then, separated by NUL bytes: an AUTH_TRUSTED_PROXIES list,
 *	REMOTE_ADDR and X-Forwarded-For (a missing part is unset)
 *
 * client_key() runs with the parsed list when it parses, and always with
 * the fuzz settings' list (127.0.0.0/8,::1).  The proxies and the key live
 * in heap blocks of exactly the size promised, so ASan sees any write
 * past them.  Invariants: the parse fills at most the room given, with
 * sane entries, and the same way twice; the key is NUL-terminated inside
 * CLIENT_KEY_MAX and the same twice; without X-Forwarded-For the proxies
 * change nothing; an IPv4 REMOTE_ADDR is counted as its canonical text, an
 * IPv6 one as its /64; and once REMOTE_ADDR is shown to be a trusted proxy,
 * an untrusted address appended on the right of X-Forwarded-For is the
 * client whatever stands on its left (SPEC "Rate limiting").
 */
#define _GNU_SOURCE	/* memmem */

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "conf.h"
#include "fuzz.h"

/* Addresses outside 127.0.0.0/8 and ::1 (documentation ranges). */
#define UNTRUSTED	"198.51.100.7"
#define OTHER		"192.0.2.1"

static struct cidr	 fixed[2];
static size_t		 nfixed;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	int	 n;

	(void)argc;
	(void)argv;
	fuzz_setup(NULL);
	if ((n = client_parse_proxies("127.0.0.0/8,::1", fixed, 2)) != 2)
		fuzz_fail("setup: the fixed proxy list parses as %d", n);
	nfixed = (size_t)n;
	return 0;
}

/* client_key() into a heap block of CLIENT_KEY_MAX, checked, copied out. */
static void
key(const struct cidr *p, size_t n, const char *remote, const char *xff,
    char out[CLIENT_KEY_MAX])
{
	char	*k, *again;

	if ((k = malloc(CLIENT_KEY_MAX)) == NULL ||
	    (again = malloc(CLIENT_KEY_MAX)) == NULL)
		fuzz_fail("out of memory");
	memset(k, 'x', CLIENT_KEY_MAX);
	client_key(p, n, remote, xff, k);
	if (memchr(k, '\0', CLIENT_KEY_MAX) == NULL)
		fuzz_fail("client_key: no NUL within CLIENT_KEY_MAX");
	client_key(p, n, remote, xff, again);
	if (strcmp(k, again) != 0)
		fuzz_fail("client_key: \"%s\" then \"%s\"", k, again);
	strcpy(out, k);
	free(k);
	free(again);
}

/* The keys of one remote/xff pair under one proxy list. */
static void
keys(const struct cidr *p, size_t n, const char *remote, const char *xff)
{
	char		 k[CLIENT_KEY_MAX], bare[CLIENT_KEY_MAX];
	char		 alone[CLIENT_KEY_MAX], u[CLIENT_KEY_MAX];
	char		*longer;
	size_t		 len;

	key(p, n, remote, xff, k);
	/* Without X-Forwarded-For the proxy list plays no part. */
	key(p, n, remote, NULL, bare);
	key(NULL, 0, remote, NULL, alone);
	if (strcmp(bare, alone) != 0)
		fuzz_fail("without X-Forwarded-For \"%s\" is \"%s\" with "
		    "proxies and \"%s\" without", remote != NULL ? remote : "",
		    bare, alone);
	if (n == 0 && strcmp(k, alone) != 0)
		fuzz_fail("no trusted proxy, yet X-Forwarded-For counted");
	/*
	 * If REMOTE_ADDR is shown to be trusted (an untrusted X-Forwarded-For
	 * makes the key), appending an untrusted entry on the right of any
	 * X-Forwarded-For makes it the client.
	 */
	key(p, n, UNTRUSTED, OTHER, u);
	if (strcmp(u, UNTRUSTED) != 0 || xff == NULL)
		return;
	key(p, n, remote, UNTRUSTED, u);
	if (strcmp(u, UNTRUSTED) != 0)
		return;
	len = strlen(xff);
	if ((longer = malloc(len + sizeof(", " UNTRUSTED))) == NULL)
		fuzz_fail("out of memory");
	memcpy(longer, xff, len);
	memcpy(longer + len, ", " UNTRUSTED, sizeof(", " UNTRUSTED));
	key(p, n, remote, longer, u);
	if (strcmp(u, UNTRUSTED) != 0)
		fuzz_fail("X-Forwarded-For \"%s\" from a trusted proxy counts "
		    "as \"%s\"", longer, u);
	free(longer);
}

/* An address inet_pton() reads as it stands must be counted canonically. */
static void
canonical(const char *remote)
{
	unsigned char	 b[16], kb[16];
	char		 k[CLIENT_KEY_MAX], want[INET6_ADDRSTRLEN];
	size_t		 len;

	if (remote == NULL)
		return;
	key(NULL, 0, remote, NULL, k);
	if (inet_pton(AF_INET, remote, b) == 1) {
		inet_ntop(AF_INET, b, want, sizeof(want));
		if (strcmp(k, want) != 0)
			fuzz_fail("IPv4 \"%s\" counts as \"%s\"", remote, k);
	} else if (inet_pton(AF_INET6, remote, b) == 1 &&
	    memcmp(b, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) != 0) {
		len = strlen(k);
		if (len < 4 || strcmp(k + len - 3, "/64") != 0)
			fuzz_fail("IPv6 \"%s\" counts as \"%s\"", remote, k);
		k[len - 3] = '\0';
		if (inet_pton(AF_INET6, k, kb) != 1 || memcmp(b, kb, 8) != 0 ||
		    memcmp(kb + 8, "\0\0\0\0\0\0\0\0", 8) != 0)
			fuzz_fail("IPv6 \"%s\" counts as \"%s/64\"", remote, k);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cidr	*p = NULL, *p2 = NULL;
	char		*copy, *list, *remote = NULL, *xff = NULL, *nul;
	size_t		 room, i;
	int		 n, n2, maxbits;

	if (size == 0)
		return 0;
	room = data[0] & 0x3f;
	if (room == 0x3f)
		room = CONF_PROXIES_MAX;
	/* The parts, NUL-terminated: a copy with one more NUL at the end. */
	if ((copy = malloc(size)) == NULL)
		fuzz_fail("out of memory");
	memcpy(copy, data + 1, size - 1);
	copy[size - 1] = '\0';
	list = copy;
	if ((nul = memchr(list, '\0', size)) != NULL && nul < copy + size - 1) {
		remote = nul + 1;
		if ((nul = strchr(remote, '\0')) < copy + size - 1)
			xff = nul + 1;
	}
	if (data[0] & 0x40)
		remote = NULL;
	if (data[0] & 0x80)
		xff = NULL;

	/* Exactly room entries, each also for the second parse. */
	if ((p = malloc(room * sizeof(*p) + 1)) == NULL ||
	    (p2 = malloc(room * sizeof(*p2) + 1)) == NULL)
		fuzz_fail("out of memory");
	memset(p, 0, room * sizeof(*p));
	memset(p2, 0, room * sizeof(*p2));
	n = client_parse_proxies(list, p, room);
	n2 = client_parse_proxies(list, p2, room);
	if (n < -1 || n > (int)room)
		fuzz_fail("client_parse_proxies: %d entries in room for %zu",
		    n, room);
	if (n != n2)
		fuzz_fail("client_parse_proxies: %d then %d entries", n, n2);
	for (i = 0; n > 0 && i < (size_t)n; i++) {
		maxbits = p[i].family == AF_INET ? 32 : 128;
		if ((p[i].family != AF_INET && p[i].family != AF_INET6) ||
		    p[i].bits < 0 || p[i].bits > maxbits)
			fuzz_fail("client_parse_proxies: entry %zu is family "
			    "%d, /%d", i, p[i].family, p[i].bits);
		/* An IPv4 entry's addr holds 4 bytes; the rest is not set. */
		if (p2[i].family != p[i].family || p2[i].bits != p[i].bits ||
		    memcmp(p[i].addr, p2[i].addr, (size_t)maxbits / 8) != 0)
			fuzz_fail("client_parse_proxies: entry %zu differs the "
			    "second time", i);
	}
	if (n >= 0)
		keys(p, (size_t)n, remote, xff);
	keys(fixed, nfixed, remote, xff);
	canonical(remote);
	free(p);
	free(p2);
	free(copy);
	return 0;
}
