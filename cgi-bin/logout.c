/*
 * POST logout: this refresh token, or with "everywhere" every token of its
 * user, is refused from now on.
 * The behaviour lives in common/auth.c; this file only wires it up.
 */
#include "auth.h"
#include "serve.h"

int
main(void)
{
	static const struct handler h[] = {
		{ "", "POST", BODY_FIRST, auth_logout },
	};
	static const struct endpoint ep = { h, sizeof(h) / sizeof(h[0]) };

	return serve(&ep);
}
