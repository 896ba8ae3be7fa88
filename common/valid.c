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

#include "json.h"
#include "text.h"
#include "valid.h"

#define EMAIL_MAX	320	/* Django: longer is invalid at once */
#define LABEL_MAX	63	/* RFC 1034 */

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

/*
 * The lengths of string v against f (SPEC "Reading the request body" 3-5):
 * NULL if it passes, else the error's pydantic type, its message in msg
 * (msgsz bytes) and its ctx (*ctxkey NULL when it has none).
 */
static const char *
string_error(const char *v, const struct field *f, char *msg, size_t msgsz,
    const char **ctxkey, long *ctxval)
{
	long	 len, n;
	int	 w;

	*ctxkey = NULL;
	if (strchr(v, JSON_NUL_MARK) != NULL) {
		snprintf(msg, msgsz, "String should not contain NUL characters");
		return "string_nul";
	}
	len = text_length(v, strlen(v));
	if (len >= f->min && (f->max == 0 || len <= f->max))
		return NULL;
	n = len < f->min ? f->min : f->max;
	*ctxkey = len < f->min ? "min_length" : "max_length";
	*ctxval = n;
	w = snprintf(msg, msgsz, "String should have at %s %ld character%s",
	    len < f->min ? "least" : "most", n, n == 1 ? "" : "s");
	if (w < 0 || (size_t)w >= msgsz)
		msg[0] = '\0';
	return len < f->min ? "string_too_short" : "string_too_long";
}

int
valid_string(const char *v, const struct field *f, char *msg, size_t msgsz)
{
	const char	*ctxkey;
	long		 ctxval;

	return string_error(v, f, msg, msgsz, &ctxkey, &ctxval) == NULL ? 0 :
	    -1;
}

/* One field's error, or 0 if it has none; -1 without memory. */
static int
check_field(cJSON *list, const cJSON *v, const struct field *f)
{
	const char	*type, *ctxkey;
	char		 msg[64];
	long		 ctxval = 0;

	if (v == NULL || (f->kind == FIELD_OPTIONAL && cJSON_IsNull(v)))
		return f->kind == FIELD_STRING ? add_error(list, "missing",
		    f->name, "Field required", NULL, 0) : 0;
	if (f->kind == FIELD_BOOL)
		return cJSON_IsBool(v) ? 0 : add_error(list, "bool_type",
		    f->name, "Input should be a valid boolean", NULL, 0);
	if (!cJSON_IsString(v))
		return add_error(list, "string_type", f->name,
		    "Input should be a valid string", NULL, 0);
	if ((type = string_error(v->valuestring, f, msg, sizeof(msg), &ctxkey,
	    &ctxval)) == NULL)
		return 0;
	if (msg[0] == '\0')
		return -1;
	return add_error(list, type, f->name, msg, ctxkey, ctxval);
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
	/* json_member() finds nothing in a non-object: all are missing. */
	for (i = 0; i < n; i++) {
		vals[i] = NULL;
		if (check_field(list, json_member(in, fields[i].name),
		    &fields[i]) == -1)
			goto oom;
	}
	if (cJSON_GetArraySize(list) > 0)
		return 422;
	/* A string's value; NULL for an absent or null one, and a boolean. */
	for (i = 0; i < n; i++) {
		const cJSON *v = json_member(in, fields[i].name);

		vals[i] = cJSON_IsString(v) ? v->valuestring : NULL;
	}
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
