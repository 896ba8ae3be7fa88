/*
 * JSON text as this program reads it from outside (request bodies, token
 * segments, Django exports): strict where cJSON is lenient, and members
 * found as Python's json keeps them.
 */
#include <stdio.h>
#include <string.h>

#include <cJSON.h>

#include "json.h"

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * Length of the JSON number at s: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
 * and not followed by a character cJSON would take as more of it; 0 if
 * there is no such number.
 */
static size_t
number_len(const char *s, size_t len)
{
	size_t	 i = 0;

	if (i < len && s[i] == '-')
		i++;
	if (i < len && s[i] == '0')
		i++;
	else if (i < len && is_digit(s[i]))
		while (i < len && is_digit(s[i]))
			i++;
	else
		return 0;
	if (i < len && s[i] == '.') {
		if (++i >= len || !is_digit(s[i]))
			return 0;
		while (i < len && is_digit(s[i]))
			i++;
	}
	if (i < len && (s[i] == 'e' || s[i] == 'E')) {
		if (++i < len && (s[i] == '+' || s[i] == '-'))
			i++;
		if (i >= len || !is_digit(s[i]))
			return 0;
		while (i < len && is_digit(s[i]))
			i++;
	}
	if (i < len && strchr("0123456789+-.eE", s[i]) != NULL)
		return 0;
	return i;
}

int
json_check(char *s, size_t len)
{
	size_t	 i = 0, n;

	while (i < len) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '-' || is_digit((char)ch)) {
			if ((n = number_len(s + i, len - i)) == 0)
				return -1;
			i += n;
			continue;
		}
		if (ch != '"') {
			if (ch < 0x20 && ch != '\t' && ch != '\n' && ch != '\r')
				return -1;
			i++;
			continue;
		}
		for (i++; i < len && s[i] != '"'; i++) {
			if ((unsigned char)s[i] < 0x20)
				return -1;
			if (s[i] != '\\')
				continue;
			if (++i >= len)
				return -1;
			if (s[i] != 'u') {
				if (strchr("\"\\/bfnrt", s[i]) == NULL || s[i] == '\0')
					return -1;
				continue;
			}
			if (len - i < 5 || strspn(s + i + 1, "0123456789abcdefABCDEF")
			    < 4)
				return -1;
			if (memcmp(s + i + 1, "0000", 4) == 0)
				memset(s + i - 1, JSON_NUL_MARK, 6);
			i += 4;
		}
		if (i >= len)
			return -1;	/* an unterminated string */
		i++;
	}
	return 0;
}

const cJSON *
json_member(const cJSON *o, const char *name)
{
	const cJSON	*c, *found = NULL;

	if (!cJSON_IsObject(o))
		return NULL;
	for (c = o->child; c != NULL; c = c->next)
		if (c->string != NULL && strcmp(c->string, name) == 0)
			found = c;
	return found;
}

/* The index past JSON whitespace at s[i]. */
static size_t
skip_space(const char *s, size_t len, size_t i)
{
	while (i < len && strchr(" \t\r\n", s[i]) != NULL && s[i] != '\0')
		i++;
	return i;
}

/*
 * The index past the JSON value at s[i] (text cJSON has parsed: a string,
 * an object or array, or a scalar), or len if it runs out.
 */
static size_t
skip_value(const char *s, size_t len, size_t i)
{
	size_t	 depth = 0;

	do {
		if (i >= len)
			return len;
		if (s[i] == '"') {
			for (i++; i < len && s[i] != '"'; i++)
				if (s[i] == '\\')
					i++;
		} else if (s[i] == '{' || s[i] == '[')
			depth++;
		else if (s[i] == '}' || s[i] == ']')
			depth--;
		else if (depth == 0) {
			while (i < len && strchr(",}] \t\r\n", s[i]) == NULL)
				i++;
			return i;
		}
		i++;
	} while (depth > 0);
	return i;
}

int
json_member_text(const char *json, size_t len, const cJSON *o,
    const cJSON *member, size_t *start, size_t *vlen)
{
	const cJSON	*c;
	size_t		 index = 0, i, k;

	/* cJSON keeps an object's members in the order of the text. */
	for (c = cJSON_IsObject(o) ? o->child : NULL; c != member; c = c->next) {
		if (c == NULL)
			return -1;
		index++;
	}
	i = skip_space(json, len, 0);
	if (i >= len || json[i] != '{')
		return -1;
	for (k = 0, i++; ; k++) {
		i = skip_space(json, len, i);
		i = skip_space(json, len, skip_value(json, len, i));	/* key */
		if (i >= len || json[i] != ':')
			return -1;
		i = skip_space(json, len, i + 1);
		*start = i;
		i = skip_value(json, len, i);
		if (k == index) {
			*vlen = i - *start;
			return i < len ? 0 : -1;
		}
		i = skip_space(json, len, i);
		if (i >= len || json[i] != ',')
			return -1;
		i++;
	}
}
