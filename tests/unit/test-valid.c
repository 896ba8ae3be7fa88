/*
 * valid.c and text.c: Django's email and username rules with SPEC's lists,
 * the schema's 422 shapes, code-point lengths and Unicode normalisation.
 */
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "json.h"
#include "text.h"
#include "valid.h"
#include "unit.h"

static void
test_email(void)
{
	static const char *const good[] = {
		"a@localhost", "a@[127.0.0.1]", "\"a..doe\"@example.com",
		"a+tag@example.co.uk", "a@b\xc3\xbc" "cher.de",
		"a!#$%&'*+/=?^_`{}|~-y@example.com", "jane@example.com",
		"a@[::1]", "a@[2001:db8::1]", "\"\"@example.com",
		"\"a\\\"b\"@example.com", "a@xn--bcher-kva.de", "a@ex-ample.com",
		"a@b@example.com" + 2,	/* "b@example.com" */
	};
	static const char *const bad[] = {
		"a@b", ".a@example.com", "a.@example.com", "a..b@example.com",
		"a@-example.com", "a@example-.com", "a@example.com.",
		"a@exa_mple.com", "j\xc3\xbcrgen@example.com",
		"\"john doe\"@example.com", "a@example.c", "a@b@example.com",
		"", "a", "@example.com", "a@", "a@[999.1.1.1]", "a@[1.2.3]",
		"a@[::g]", "a@[127.0.0.1", "a@.example.com", "a@example..com",
		"a b@example.com", "a@exam ple.com", "\"a\"b@example.com",
		"a@localhost.", "a@" "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com",
	};
	size_t	 i;
	int	 n;

	for (i = n = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (valid_email(good[i]))
			n++;
		else
			fprintf(stderr, "valid email refused: %s\n", good[i]);
	ASSERT(n == (int)(sizeof(good) / sizeof(good[0])));
	for (i = n = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (!valid_email(bad[i]))
			n++;
		else
			fprintf(stderr, "invalid email accepted: %s\n", bad[i]);
	ASSERT(n == (int)(sizeof(bad) / sizeof(bad[0])));
}

static void
test_username(void)
{
	ASSERT(valid_username("janedoe"));
	ASSERT(valid_username("jane.doe+x@y-z_9"));
	ASSERT(valid_username("J\xc3\xbcrgen"));		/* Jürgen */
	ASSERT(valid_username("\xe7\x94\xa8\xe6\x88\xb7"));	/* 用户 */
	ASSERT(valid_username("\xd9\xa1\xd9\xa2\xd9\xa3"));	/* Arabic-Indic 123 */
	ASSERT(valid_username("\xe0\xa4\x95\xe0\xa4\xbf"));	/* कि: a mark */
	ASSERT(!valid_username(""));
	ASSERT(!valid_username("jane doe"));
	ASSERT(!valid_username("jane!"));
	ASSERT(!valid_username("jane/doe"));
	ASSERT(!valid_username("jane\xc2\xa0" "doe"));	/* NBSP */
	ASSERT(!valid_username("jane\xe2\x80\x8b"));	/* zero-width space */
	ASSERT(!valid_username("\xf0\x9f\x98\x80"));	/* an emoji */
	/* numbers that are no decimal digits: 〇 (Nl), ༪ (No) */
	ASSERT(!valid_username("\xe3\x80\x87\xe3\x80\x87\xe3\x80\x87"));
	ASSERT(!valid_username("\xe0\xbc\xaa\xe0\xbc\xaa\xe0\xbc\xaa"));
}

static void
test_text(void)
{
	size_t	 start, len;
	char	*s;

	ASSERT(text_length("abc", 3) == 3);
	ASSERT(text_length("\xc3\xa9t\xc3\xa9", 5) == 3);	/* été */
	ASSERT(text_length("\xf0\x9f\x98\x80", 4) == 1);	/* one emoji */
	ASSERT(text_length("\xff", 1) == -1);
	ASSERT(text_length("\xc0\xaf", 2) == -1);		/* overlong */
	ASSERT(text_length("\xed\xa0\x80", 3) == -1);		/* surrogate */
	ASSERT(text_length("\xc3", 1) == -1);			/* truncated */

	len = text_strip("  ab  ", &start);
	ASSERT(start == 2 && len == 2);
	/* NBSP, EM SPACE, IDEOGRAPHIC SPACE, tab, and U+001F as Python. */
	len = text_strip("\xc2\xa0\xe2\x80\x83x y\xe3\x80\x80\t\x1f", &start);
	ASSERT(start == 5 && len == 3);
	len = text_strip(" \xe2\x80\x8bx", &start);	/* ZWSP is no space */
	ASSERT(start == 1 && len == 4);
	ASSERT(text_strip("   ", &start) == 0);

	s = text_nfkc("\xef\xbd\x8a\xef\xbd\x81\xef\xbd\x8e\xef\xbd\x85", 12);
	ASSERT(s != NULL && strcmp(s, "jane") == 0);	/* ｊａｎｅ */
	free(s);
	s = text_fold("JANE", 4);
	ASSERT(s != NULL && strcmp(s, "jane") == 0);
	free(s);
	s = text_fold("Stra\xc3\x9f" "e", 7);		/* Straße */
	ASSERT(s != NULL && strcmp(s, "strasse") == 0);
	free(s);
	s = text_lower("B\xc3\x9c" "CHER.example", 15);	/* BÜCHER */
	ASSERT(s != NULL && strcmp(s, "b\xc3\xbc" "cher.example") == 0);
	free(s);
	s = text_lower("\xc4\xb0x", 3);	/* İ lowers to i + U+0307 */
	ASSERT(s != NULL && strcmp(s, "i\xcc\x87x") == 0);
	free(s);

	ASSERT(text_is_digits("31415926535"));
	ASSERT(text_is_digits("\xd9\xa1\xd9\xa2"));	/* Arabic-Indic */
	ASSERT(!text_is_digits("123a"));
	ASSERT(!text_is_digits(""));
}

/* valid_body on a JSON text; returns the status, *errs the compact body. */
static int
body(const char *json, char **errs)
{
	static const struct field f[] = {
		{ "username", 3, 150, FIELD_STRING },
		{ "email", 3, 254, FIELD_STRING },
		{ "password", 8, 128, FIELD_STRING },
	};
	const char	*v[3];
	cJSON		*in = json != NULL ? cJSON_Parse(json) : NULL, *out = NULL;
	int		 st;

	st = valid_body(in, f, 3, v, &out);
	*errs = out != NULL ? cJSON_PrintUnformatted(out) : NULL;
	cJSON_Delete(in);
	cJSON_Delete(out);
	return st;
}

static void
test_body(void)
{
	char	*e = NULL;

	ASSERT(body("{\"username\":\"abc\",\"email\":\"a@b.co\","
	    "\"password\":\"12345678\"}", &e) == 200 && e == NULL);
	ASSERT(body(NULL, &e) == 422 && strcmp(e, "{\"message\":\"Validation "
	    "error.\",\"details\":{\"errors\":[{\"type\":\"missing\",\"loc\":"
	    "[\"body\",\"payload\"],\"msg\":\"Field required\"}]}}") == 0);
	free(e);
	ASSERT(body("[]", &e) == 422 && strstr(e, "\"loc\":[\"body\",\"payload\","
	    "\"password\"],\"msg\":\"Field required\"") != NULL);
	free(e);
	ASSERT(body("{\"username\":\"ab\",\"email\":1,\"password\":\"" 
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "\"}", &e) == 422 && strcmp(e, "{\"message\":\"Validation error.\","
	    "\"details\":{\"errors\":[{\"type\":\"string_too_short\",\"loc\":"
	    "[\"body\",\"payload\",\"username\"],\"msg\":\"String should have "
	    "at least 3 characters\",\"ctx\":{\"min_length\":3}},{\"type\":"
	    "\"string_type\",\"loc\":[\"body\",\"payload\",\"email\"],\"msg\":"
	    "\"Input should be a valid string\"},{\"type\":\"string_too_long\","
	    "\"loc\":[\"body\",\"payload\",\"password\"],\"msg\":\"String should "
	    "have at most 128 characters\",\"ctx\":{\"max_length\":128}}]}}") == 0);
	free(e);
	/* the last duplicate key wins */
	ASSERT(body("{\"username\":1,\"username\":\"abc\",\"email\":\"a@b.co\","
	    "\"password\":\"12345678\"}", &e) == 200);
	ASSERT(body("{\"username\":\"abc\",\"username\":1,\"email\":\"a@b.co\","
	    "\"password\":\"12345678\"}", &e) == 422);
	free(e);
	/* keys are case-sensitive */
	ASSERT(body("{\"Username\":\"abc\",\"email\":\"a@b.co\","
	    "\"password\":\"12345678\"}", &e) == 422);
	free(e);
}

static void
test_nul_mark(void)
{
	static const struct field f[] = { { "username", 1, 0, FIELD_STRING } };
	const char	*v[1];
	char		 text[] = "{\"username\":\"ab\xff\xff\xff\xff\xff\xff" "c\"}";
	cJSON		*in = cJSON_Parse(text), *out = NULL;
	char		*e;

	ASSERT(JSON_NUL_MARK == 0xff);
	ASSERT(valid_body(in, f, 1, v, &out) == 422);
	e = cJSON_PrintUnformatted(out);
	ASSERT(strstr(e, "\"type\":\"string_nul\"") != NULL &&
	    strstr(e, "\"msg\":\"String should not contain NUL characters\"") !=
	    NULL);
	free(e);
	cJSON_Delete(in);
	cJSON_Delete(out);
}

/* json_check on a copy of s: 0 or -1. */
static int
scan(const char *s)
{
	char	 buf[256];

	strcpy(buf, s);
	return json_check(buf, strlen(buf));
}

static void
test_json_text(void)
{
	char	 nul[] = "{\"a\":\"x\\u0000y\",\"b\":\"\\\\u0000\"}";

	ASSERT(scan("{\"a\": [1, -0.5E+3, 0, 10, 2e9, true, null]}") == 0);
	ASSERT(scan("{\"a\": \"\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u00e9\"}") == 0);
	/* cJSON reads a bad \u escape as a NUL that cuts the string short */
	ASSERT(scan("{\"a\": \"abc\\uZZZZjunk\"}") == -1);
	ASSERT(scan("{\"a\": \"abc\\u00zz\"}") == -1);
	ASSERT(scan("{\"a\": \"abc\\u12\"}") == -1);
	ASSERT(scan("{\"a\": \"\\a\"}") == -1);
	ASSERT(scan("{\"a\": \"tab\there\"}") == -1);
	ASSERT(scan("{\"a\": \"open}") == -1);
	ASSERT(scan("{\"a\":\t1}\n") == 0);
	ASSERT(scan("{\"a\":\x01 1}") == -1);
	/* numbers Python's json refuses and cJSON would take */
	ASSERT(scan("{\"a\": 01}") == -1);
	ASSERT(scan("{\"a\": 1.}") == -1);
	ASSERT(scan("{\"a\": .5}") == 0);	/* left to cJSON, which refuses */
	ASSERT(scan("{\"a\": +1}") == 0);	/* likewise */
	ASSERT(scan("{\"a\": -}") == -1);
	ASSERT(scan("{\"a\": 1e}") == -1);
	ASSERT(scan("{\"a\": -01.e5}") == -1);
	ASSERT(scan("{\"a\": 1.5.5}") == -1);
	ASSERT(scan("{\"a\": 1e5e5}") == -1);
	/* \u0000 is marked; an escaped backslash before "u0000" is not one */
	ASSERT(json_check(nul, strlen(nul)) == 0);
	ASSERT(memcmp(nul + 7, "\xff\xff\xff\xff\xff\xff", 6) == 0);
	ASSERT(strstr(nul, "\\\\u0000") != NULL);
}

int
main(void)
{
	test_json_text();
	test_email();
	test_username();
	test_text();
	test_body();
	test_nul_mark();
	return unit_done("test-valid");
}
