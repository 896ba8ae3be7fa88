/*
 * libFuzzer harness: the Django hash parser.  pw_verify(password, encoded)
 * with a fuzzed encoded hash, and pw_hash() -> pw_verify() round trips.
 * The input is a length byte n, n bytes of password, then the encoded hash
 * (up to a NUL, as it would come out of the database).
 *
 * An encoded hash names its own cost, up to the 100000000 iterations that
 * pw.c allows: one such hash takes minutes, and libFuzzer would report a
 * timeout for what is a legitimate, bounded (if slow) verification.  So an
 * iteration count above ITER_CAP is replaced, in the harness's copy, by a
 * small one (count % ITER_CAP + 1) before pw_verify() sees it: the rest of
 * the string (salt, base64, separators) is parsed as given, and counts
 * pw.c refuses outright (a leading zero, above its maximum, not digits)
 * are passed unchanged, since pw_verify() must refuse them before hashing.
 *
 * Invariants: the verdict is one of the three; PW_UNUSABLE reports 0
 * iterations; a usable hash is pbkdf2_sha256$<count>$<salt>$<44 base64
 * characters> with a count that has no leading zero, a salt of 1 to 256
 * bytes, and reports its count; the same answer twice; a hash that matches
 * does not match another password; and what pw_hash() makes verifies.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "pw.h"

#define PREFIX		"pbkdf2_sha256$"
#define ITER_CAP	1000UL		/* see above: at most ~1 ms a hash */
#define ITER_BIG	4000000000UL	/* beyond pw.c's 100000000 */

/*
 * The count field of s if it names more than ITER_CAP iterations (and no
 * more than pw.c accepts), rewritten into a new string; else a copy.
 */
static char *
capped(const char *s)
{
	const char	*digits, *end;
	unsigned long	 n = 0;
	char		*out;
	size_t		 len = strlen(s);

	if ((out = malloc(len + 32)) == NULL)
		fuzz_fail("out of memory");
	memcpy(out, s, len + 1);
	if (strncmp(s, PREFIX, strlen(PREFIX)) != 0)
		return out;
	digits = s + strlen(PREFIX);
	for (end = digits; *end >= '0' && *end <= '9'; end++)
		if (n <= ITER_BIG)
			n = n * 10 + (unsigned long)(*end - '0');
	if (*digits == '0' || n <= ITER_CAP || n > 100000000UL)
		return out;
	snprintf(out, len + 32, "%.*s%lu%s", (int)(digits - s), s,
	    n % ITER_CAP + 1, end);
	return out;
}

/* What a usable hash must look like; its count. */
static unsigned long
shape(const char *s)
{
	const char	*p = s + strlen(PREFIX), *salt, *hash;
	unsigned long	 n = 0;

	if (strncmp(s, PREFIX, strlen(PREFIX)) != 0 || *p < '1' || *p > '9')
		fuzz_fail("usable, but \"%s\" has no count", s);
	for (; *p >= '0' && *p <= '9'; p++)
		n = n * 10 + (unsigned long)(*p - '0');
	salt = p + 1;
	if (*p != '$' || (hash = strchr(salt, '$')) == NULL ||
	    hash == salt || hash - salt > 256 || strlen(hash + 1) != 44 ||
	    strchr(hash + 1, '$') != NULL)
		fuzz_fail("usable, but \"%s\" is no Django hash", s);
	return n;
}

static enum pw_verdict
verify(const char *pass, size_t len, const char *encoded, unsigned long *it)
{
	enum pw_verdict	 v, again;
	unsigned long	 it2;

	v = pw_verify(pass, len, encoded, it);
	again = pw_verify(pass, len, encoded, &it2);
	if ((int)v < PW_OK || (int)v > PW_UNUSABLE || again != v || it2 != *it)
		fuzz_fail("pw_verify: %d then %d for \"%s\"", (int)v,
		    (int)again, encoded);
	if (v == PW_UNUSABLE && *it != 0)
		fuzz_fail("pw_verify: unusable, yet %lu iterations", *it);
	if (v != PW_UNUSABLE && *it != shape(encoded))
		fuzz_fail("pw_verify: %lu iterations for \"%s\"", *it, encoded);
	return v;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		 hash[PW_HASH_MAX], *pass, *enc, *raw;
	unsigned long	 it;
	size_t		 n;

	if (size == 0)
		return 0;
	n = data[0] < size - 1 ? data[0] : size - 1;
	/* The password plus one byte, for "another password". */
	if ((pass = malloc(n + 1)) == NULL ||
	    (raw = strndup((const char *)data + 1 + n, size - 1 - n)) == NULL)
		fuzz_fail("out of memory");
	memcpy(pass, data + 1, n);
	pass[n] = 'x';
	enc = capped(raw);
	if (verify(pass, n, enc, &it) == PW_OK &&
	    verify(pass, n + 1, enc, &it) != PW_MISMATCH)
		fuzz_fail("\"%s\" matches two passwords", enc);

	if (pw_hash(pass, n, 1 + data[0] % 3, hash) == -1)
		fuzz_fail("pw_hash failed");
	if (memchr(hash, '\0', PW_HASH_MAX) == NULL ||
	    verify(pass, n, hash, &it) != PW_OK || it != 1 + data[0] % 3u ||
	    verify(pass, n + 1, hash, &it) != PW_MISMATCH)
		fuzz_fail("pw_hash -> pw_verify: \"%s\"", hash);
	free(pass);
	free(raw);
	free(enc);
	return 0;
}
