/*
 * POST login: trade a username (or email) and password for an access/refresh pair.
 * The behaviour lives in common/auth.c; this file only wires it up.
 */
#include "auth.h"
#include "serve.h"

int
main(void)
{
	static const struct endpoint ep = { "POST", 1, auth_login };

	return serve(&ep);
}
