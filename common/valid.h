/*
 * Input validation: the request schema with its 422 error list (SPEC
 * "Reading the request body" 3-6), and the email and username rules of
 * SPEC "POST register" 3 and 4.
 */
#ifndef VALID_H
#define VALID_H

#include <stddef.h>

#include <cJSON.h>

/* What a field of an endpoint's schema holds. */
enum field_kind {
	FIELD_STRING,		/* a string, required */
	FIELD_OPTIONAL,		/* a string or null, or absent */
	FIELD_BOOL		/* a boolean, or absent */
};

/* One field of an endpoint's schema; lengths in code points. */
struct field {
	const char	*name;
	long		 min;
	long		 max;	/* 0: no upper bound */
	enum field_kind	 kind;
};

/*
 * A plain string (not from JSON: authctl's) against field f's lengths:
 * 0, or -1 with msg (msgsz bytes) set to what valid_body would say.
 */
int	valid_string(const char *v, const struct field *f, char *msg,
	    size_t msgsz);

/*
 * Check the parsed body in (NULL for an empty body) against n fields.
 * Returns 200 with vals[i] pointing at each field's string inside in (NULL
 * for an optional one absent or null, and for a boolean: look it up), or
 * 422 with *out set to the whole "Validation error." body listing every
 * failing field in order, or 500 without memory.  The caller frees *out.
 */
int	valid_body(const cJSON *in, const struct field *fields, size_t n,
	    const char **vals, cJSON **out);

/* Non-zero if s (stripped and lowercased) passes Django's validate_email. */
int	valid_email(const char *s);

/*
 * Non-zero if s (stripped and NFKC-normalised) is a valid username: not
 * empty, only letters, digits, combining marks and @ . + - _.
 */
int	valid_username(const char *s);

#endif
