/*
 * POST refresh: trade a refresh token for a new access token.
 * The behaviour lives in common/auth.c; this file only wires it up.
 */
#include "auth.h"
#include "serve.h"

int
main(void)
{
	static const struct endpoint ep = { "POST", 1, auth_refresh };

	return serve(&ep);
}
