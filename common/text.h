/*
 * Unicode text as the contract needs it, on libutf8proc: code-point
 * lengths, Python's str.strip(), NFKC, case folding, lowercasing and the
 * digit test.  Every function takes UTF-8; none accepts invalid UTF-8.
 */
#ifndef TEXT_H
#define TEXT_H

#include <stddef.h>

/* Code points in the len bytes at s, or -1 if they are not valid UTF-8. */
long	text_length(const char *s, size_t len);

/*
 * Python's str.strip(): the bytes of s (NUL-terminated, valid UTF-8)
 * without leading and trailing Unicode whitespace (categories and bidi
 * classes as Python's str.isspace()).  Sets *start and returns the length.
 */
size_t	text_strip(const char *s, size_t *start);

/*
 * Normalised copies of len bytes of UTF-8, NUL-terminated, for the caller to
 * free(): text_nfkc (how usernames are stored), text_fold (NFKC case fold:
 * the key under which names and emails are unique) and text_lower (Python's
 * str.lower(), per code point).  NULL on invalid input or no memory.
 */
char	*text_nfkc(const char *s, size_t len);
char	*text_fold(const char *s, size_t len);
char	*text_lower(const char *s, size_t len);

/* Non-zero if s is non-empty and every code point is a decimal digit (Nd). */
int	text_is_digits(const char *s);

#endif
