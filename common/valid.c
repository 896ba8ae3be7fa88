/*
 * Schema validation with pydantic's error shapes, and Django's email and
 * username validators.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>
#include <idn2.h>
#include <utf8proc.h>

#include "cgi.h"
#include "text.h"
#include "valid.h"

#define EMAIL_MAX	320	/* Django: longer is invalid at once */
#define LABEL_MAX	63	/* RFC 1034 */

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
valid_json_text(char *s, size_t len)
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
				memset(s + i - 1, VALID_NUL_MARK, 6);
			i += 4;
		}
		if (i >= len)
			return -1;	/* an unterminated string */
		i++;
	}
	return 0;
}

const cJSON *
valid_member(const cJSON *o, const char *name)
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
valid_member_text(const char *json, size_t len, const cJSON *o,
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

/*
 * Append one pydantic error to list: {"type", "loc", "msg"[, "ctx"]}.
 * field NULL means the whole payload.  Returns 0, or -1 without memory.
 */
static int
add_error(cJSON *list, const char *type, const char *field, const char *msg,
    const char *ctxkey, long ctxval)
{
	cJSON	*e, *loc, *ctx;

	if ((e = cJSON_CreateObject()) == NULL)
		return -1;
	cJSON_AddItemToArray(list, e);
	if (cJSON_AddStringToObject(e, "type", type) == NULL ||
	    (loc = cJSON_AddArrayToObject(e, "loc")) == NULL)
		return -1;
	cJSON_AddItemToArray(loc, cJSON_CreateString("body"));
	cJSON_AddItemToArray(loc, cJSON_CreateString("payload"));
	if (field != NULL)
		cJSON_AddItemToArray(loc, cJSON_CreateString(field));
	if (cJSON_GetArraySize(loc) != (field != NULL ? 3 : 2) ||
	    cJSON_AddStringToObject(e, "msg", msg) == NULL)
		return -1;
	if (ctxkey != NULL && ((ctx = cJSON_AddObjectToObject(e, "ctx")) ==
	    NULL || cJSON_AddNumberToObject(ctx, ctxkey, ctxval) == NULL))
		return -1;
	return 0;
}

/* One field's error, or 0 if it has none; -1 without memory. */
static int
check_field(cJSON *list, const cJSON *v, const struct field *f)
{
	char	 msg[64];
	long	 len;
	int	 n;

	if (v == NULL)
		return add_error(list, "missing", f->name, "Field required",
		    NULL, 0);
	if (!cJSON_IsString(v))
		return add_error(list, "string_type", f->name,
		    "Input should be a valid string", NULL, 0);
	if (strchr(v->valuestring, VALID_NUL_MARK) != NULL)
		return add_error(list, "string_nul", f->name,
		    "String should not contain NUL characters", NULL, 0);
	len = text_length(v->valuestring, strlen(v->valuestring));
	if (len < f->min) {
		n = snprintf(msg, sizeof(msg), "String should have at least "
		    "%ld character%s", f->min, f->min == 1 ? "" : "s");
		if (n < 0 || (size_t)n >= sizeof(msg))
			return -1;
		return add_error(list, "string_too_short", f->name, msg,
		    "min_length", f->min);
	}
	if (f->max > 0 && len > f->max) {
		n = snprintf(msg, sizeof(msg), "String should have at most "
		    "%ld character%s", f->max, f->max == 1 ? "" : "s");
		if (n < 0 || (size_t)n >= sizeof(msg))
			return -1;
		return add_error(list, "string_too_long", f->name, msg,
		    "max_length", f->max);
	}
	return 0;
}

int
valid_body(const cJSON *in, const struct field *fields, size_t n,
    const char **vals, cJSON **out)
{
	cJSON	*details, *list;
	size_t	 i;

	*out = NULL;
	if ((*out = cJSON_CreateObject()) == NULL ||
	    cJSON_AddStringToObject(*out, "message", "Validation error.") ==
	    NULL || (details = cJSON_AddObjectToObject(*out, "details")) ==
	    NULL || (list = cJSON_AddArrayToObject(details, "errors")) == NULL)
		goto oom;
	if (in == NULL) {
		/* An empty body: the payload itself is missing. */
		if (add_error(list, "missing", NULL, "Field required", NULL,
		    0) == -1)
			goto oom;
		return 422;
	}
	/* valid_member() finds nothing in a non-object: all are missing. */
	for (i = 0; i < n; i++) {
		vals[i] = NULL;
		if (check_field(list, valid_member(in, fields[i].name),
		    &fields[i]) == -1)
			goto oom;
	}
	if (cJSON_GetArraySize(list) > 0)
		return 422;
	for (i = 0; i < n; i++)
		vals[i] = valid_member(in, fields[i].name)->valuestring;
	cJSON_Delete(*out);
	*out = NULL;
	return 200;
oom:
	fprintf(stderr, "valid_body: out of memory\n");
	cJSON_Delete(*out);
	*out = NULL;
	return 500;
}

/* Django's dot-atom character set, letters matching either case. */
static int
is_atext(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') ||
	    (c != '\0' && strchr("!#$%&'*+/=?^_`{|}~-", c) != NULL);
}

static int
valid_local(const char *s, size_t len)
{
	size_t	 i;
	int	 atom = 0;

	if (len >= 2 && s[0] == '"' && s[len - 1] == '"') {
		/* quoted-string: qtext or a backslash pair, no bare space */
		for (i = 1; i < len - 1; i++) {
			unsigned char c = (unsigned char)s[i];

			if (c == '\\') {
				c = (unsigned char)s[++i];
				if (i >= len - 1 || c == 0 || c == '\n' ||
				    c == '\r' || c > 0x7f)
					return 0;
			} else if (c == 0 || c == '\t' || c == '\n' ||
			    c == '\r' || c == ' ' || c == '"' || c > 0x7f)
				return 0;
		}
		return 1;
	}
	/* dot-atom: atoms joined by single dots */
	for (i = 0; i < len; i++) {
		if (s[i] == '.') {
			if (!atom)
				return 0;
			atom = 0;
		} else if (is_atext((unsigned char)s[i]))
			atom = 1;
		else
			return 0;
	}
	return atom;
}

static int
is_ldh(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-';
}

/* Django's domain_regex: labels each followed by a dot, then the TLD. */
static int
valid_hostname(const char *s, size_t len)
{
	size_t	 i, start = 0, labels = 0;

	for (i = 0; i <= len; i++) {
		if (i < len && s[i] != '.') {
			if (!is_ldh((unsigned char)s[i]))
				return 0;
			continue;
		}
		if (i == len) {
			/* the final label: 2-63, may not end with '-' */
			if (labels == 0 || i - start < 2 ||
			    i - start > LABEL_MAX || s[i - 1] == '-')
				return 0;
			return 1;
		}
		/* an inner label: 1-63, no '-' at either end */
		if (i == start || i - start > LABEL_MAX || s[start] == '-' ||
		    s[i - 1] == '-')
			return 0;
		labels++;
		start = i + 1;
	}
	return 0;
}

/* "[...]" holding an IPv4 or IPv6 address that really parses as one. */
static int
valid_literal(const char *s, size_t len)
{
	unsigned char	 b[16];
	char		 buf[64];

	if (len < 3 || s[0] != '[' || s[len - 1] != ']' ||
	    len - 2 >= sizeof(buf))
		return 0;
	memcpy(buf, s + 1, len - 2);
	buf[len - 2] = '\0';
	if (strspn(buf, "0123456789abcdefABCDEF:.") != len - 2)
		return 0;
	return inet_pton(AF_INET, buf, b) == 1 ||
	    inet_pton(AF_INET6, buf, b) == 1;
}

static int
valid_domain(const char *s, size_t len)
{
	return valid_hostname(s, len) || valid_literal(s, len);
}

int
valid_email(const char *s)
{
	const char	*at;
	char		*ascii = NULL;
	size_t		 len = strlen(s);
	int		 ok;

	if (len == 0 || (at = strrchr(s, '@')) == NULL ||
	    text_length(s, len) > EMAIL_MAX)
		return 0;
	if (!valid_local(s, (size_t)(at - s)))
		return 0;
	at++;
	if (strcmp(at, "localhost") == 0 || valid_domain(at, strlen(at)))
		return 1;
	/* Once more after IDNA, so bücher.de passes as xn--bcher-kva.de. */
	if (idn2_to_ascii_8z(at, &ascii, IDN2_NFC_INPUT | IDN2_TRANSITIONAL) !=
	    IDN2_OK)
		return 0;
	ok = valid_domain(ascii, strlen(ascii));
	idn2_free(ascii);
	return ok;
}

int
valid_username(const char *s)
{
	const utf8proc_uint8_t	*p = (const utf8proc_uint8_t *)s;
	utf8proc_int32_t	 c;
	utf8proc_ssize_t	 n;
	utf8proc_category_t	 cat;
	size_t			 len = strlen(s), i = 0;

	if (len == 0)
		return 0;
	while (i < len) {
		n = utf8proc_iterate(p + i, (utf8proc_ssize_t)(len - i), &c);
		if (n <= 0)
			return 0;
		i += (size_t)n;
		if (c < 0x80 && strchr("@.+-_", (int)c) != NULL)
			continue;
		cat = utf8proc_category(c);
		switch (cat) {
		case UTF8PROC_CATEGORY_LU:	/* letters */
		case UTF8PROC_CATEGORY_LL:
		case UTF8PROC_CATEGORY_LT:
		case UTF8PROC_CATEGORY_LM:
		case UTF8PROC_CATEGORY_LO:
		case UTF8PROC_CATEGORY_MN:	/* combining marks */
		case UTF8PROC_CATEGORY_MC:
		case UTF8PROC_CATEGORY_ME:
		case UTF8PROC_CATEGORY_ND:	/* digits of any script */
			continue;
		default:
			return 0;
		}
	}
	return 1;
}
