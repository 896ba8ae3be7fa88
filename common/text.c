/*
 * UTF-8 and Unicode rules, all delegated to libutf8proc's tables.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "text.h"

long
text_length(const char *s, size_t len)
{
	const utf8proc_uint8_t	*p = (const utf8proc_uint8_t *)s;
	utf8proc_int32_t	 c;
	utf8proc_ssize_t	 n;
	long			 count = 0;

	while (len > 0) {
		/* Fast path: ASCII is most of what arrives. */
		if (*p < 0x80) {
			p++;
			len--;
			count++;
			continue;
		}
		n = utf8proc_iterate(p, (utf8proc_ssize_t)len, &c);
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
		count++;
	}
	return count;
}

/* Python's str.isspace(): bidi class WS, B or S, or category Zs. */
static int
is_space(utf8proc_int32_t c)
{
	const utf8proc_property_t *p = utf8proc_get_property(c);

	return p->category == UTF8PROC_CATEGORY_ZS ||
	    p->bidi_class == UTF8PROC_BIDI_CLASS_WS ||
	    p->bidi_class == UTF8PROC_BIDI_CLASS_B ||
	    p->bidi_class == UTF8PROC_BIDI_CLASS_S;
}

size_t
text_strip(const char *s, size_t *start)
{
	const utf8proc_uint8_t	*p = (const utf8proc_uint8_t *)s;
	utf8proc_int32_t	 c;
	utf8proc_ssize_t	 n;
	size_t			 len = strlen(s), i = 0, first = len, end = 0;

	while (i < len) {
		n = utf8proc_iterate(p + i, (utf8proc_ssize_t)(len - i), &c);
		if (n <= 0)
			break;
		if (!is_space(c)) {
			if (first == len)
				first = i;
			end = i + (size_t)n;
		}
		i += (size_t)n;
	}
	if (first == len) {
		*start = 0;
		return 0;
	}
	*start = first;
	return end - first;
}

static char *
map(const char *s, size_t len, utf8proc_option_t opts)
{
	utf8proc_uint8_t	*out = NULL;

	if (utf8proc_map((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)len,
	    &out, opts) < 0)
		return NULL;
	return (char *)out;
}

char *
text_nfkc(const char *s, size_t len)
{
	return map(s, len, UTF8PROC_STABLE | UTF8PROC_COMPOSE |
	    UTF8PROC_COMPAT);
}

char *
text_fold(const char *s, size_t len)
{
	/* NFKC_Casefold: fold, then compose again so the key is stable. */
	return map(s, len, UTF8PROC_STABLE | UTF8PROC_COMPOSE |
	    UTF8PROC_COMPAT | UTF8PROC_CASEFOLD | UTF8PROC_IGNORE);
}

char *
text_lower(const char *s, size_t len)
{
	const utf8proc_uint8_t	*p = (const utf8proc_uint8_t *)s;
	utf8proc_uint8_t	*out, *o;
	utf8proc_int32_t	 c;
	utf8proc_ssize_t	 n;
	size_t			 i = 0;

	/* Each input byte yields at most 4 bytes (U+0130: 2 bytes to 3). */
	if (len > (SIZE_MAX - 1) / 4 || (out = malloc(4 * len + 1)) == NULL)
		return NULL;
	o = out;
	while (i < len) {
		n = utf8proc_iterate(p + i, (utf8proc_ssize_t)(len - i), &c);
		if (n <= 0) {
			free(out);
			return NULL;
		}
		/*
		 * The one unconditional lowercase mapping to two code points
		 * (SpecialCasing.txt): Python's lower() gives "i" + U+0307.
		 */
		if (c == 0x130)
			o += utf8proc_encode_char('i', o);
		o += utf8proc_encode_char(c == 0x130 ? 0x307 :
		    utf8proc_tolower(c), o);
		i += (size_t)n;
	}
	*o = '\0';
	return (char *)out;
}

int
text_is_digits(const char *s)
{
	const utf8proc_uint8_t	*p = (const utf8proc_uint8_t *)s;
	utf8proc_int32_t	 c;
	utf8proc_ssize_t	 n;
	size_t			 len = strlen(s), i = 0;

	if (len == 0)
		return 0;
	while (i < len) {
		n = utf8proc_iterate(p + i, (utf8proc_ssize_t)(len - i), &c);
		if (n <= 0 || utf8proc_category(c) != UTF8PROC_CATEGORY_ND)
			return 0;
		i += (size_t)n;
	}
	return 1;
}

/* A code point that is valid UTF-8 but no text to a terminal. */
static int
is_hidden(utf8proc_int32_t c)
{
	return c < 0x20 || (c >= 0x7f && c <= 0x9f) ||	/* C0, DEL, C1 */
	    c == 0x61c || c == 0x200e || c == 0x200f ||	/* bidi marks */
	    (c >= 0x202a && c <= 0x202e) ||	/* embeddings, overrides */
	    (c >= 0x2066 && c <= 0x2069) ||	/* isolates */
	    c == 0x2028 || c == 0x2029;		/* line, paragraph separator */
}

int
text_has_hidden(const char *s, size_t len)
{
	const utf8proc_uint8_t	*p = (const utf8proc_uint8_t *)s;
	utf8proc_int32_t	 c;
	utf8proc_ssize_t	 n;
	size_t			 i = 0;

	while (i < len) {
		n = utf8proc_iterate(p + i, (utf8proc_ssize_t)(len - i), &c);
		if (n <= 0 || is_hidden(c))
			return 1;
		i += (size_t)n;
	}
	return 0;
}

char *
text_visible(const char *s, size_t len)
{
	const utf8proc_uint8_t	*p = (const utf8proc_uint8_t *)s;
	utf8proc_int32_t	 c;
	utf8proc_ssize_t	 n;
	size_t			 i = 0, o = 0;
	char			*out;

	/* At most 4 bytes out per byte in ("\xHH"; "\uHHHH" takes 2-3). */
	if (len > (SIZE_MAX - 1) / 4 || (out = malloc(4 * len + 1)) == NULL)
		return NULL;
	while (i < len) {
		n = utf8proc_iterate(p + i, (utf8proc_ssize_t)(len - i), &c);
		if (n <= 0) {		/* not UTF-8: the byte itself */
			o += (size_t)snprintf(out + o, 5, "\\x%02x", p[i]);
			i++;
			continue;
		}
		if (c == '\\')
			o += (size_t)snprintf(out + o, 3, "\\\\");
		else if (c == '\t' || c == '\n' || c == '\r')
			o += (size_t)snprintf(out + o, 3, "\\%c",
			    c == '\t' ? 't' : c == '\n' ? 'n' : 'r');
		else if (c < 0x20 || c == 0x7f)
			o += (size_t)snprintf(out + o, 5, "\\x%02x", (int)c);
		else if (is_hidden(c))
			o += (size_t)snprintf(out + o, 7, "\\u%04x", (int)c);
		else {
			memcpy(out + o, p + i, (size_t)n);
			o += (size_t)n;
		}
		i += (size_t)n;
	}
	out[o] = '\0';
	return out;
}
