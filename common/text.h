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

/*
 * Non-zero if the len bytes at s hold something a terminal would not show
 * as text: a C0 or C1 control, DEL, a bidi control (U+061C, U+200E,
 * U+200F, U+202A-202E, U+2066-2069), a line or paragraph separator, or a
 * byte that is not UTF-8.
 */
int	text_has_hidden(const char *s, size_t len);

/*
 * A copy of the len bytes at s that is safe to print to a terminal and
 * reads back unambiguously: each backslash doubled, and what
 * text_has_hidden() finds written visibly, as \t, \n, \r, \xHH (other
 * ASCII controls, DEL, and bytes that are not UTF-8) or \uHHHH (C1
 * controls, bidi controls, separators).  NUL-terminated, for the caller to
 * free(); NULL without memory.
 */
char	*text_visible(const char *s, size_t len);

#endif
