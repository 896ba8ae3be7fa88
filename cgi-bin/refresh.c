/*
 * POST refresh: trade a refresh token for a new access token.
 * The behaviour lives in common/auth.c; this file only wires it up.
 */
#include "auth.h"
#include "serve.h"

int
main(void)
{
	static const struct handler h[] = {
		{ "", "POST", BODY_FIRST, auth_refresh },
	};
	static const struct endpoint ep = { h, sizeof(h) / sizeof(h[0]) };

	return serve(&ep);
}
