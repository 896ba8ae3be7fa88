/*
 * POST register: create an account and receive an access/refresh token pair.
 * The behaviour lives in common/auth.c; this file only wires it up.
 */
#include "auth.h"
#include "serve.h"

int
main(void)
{
	static const struct endpoint ep = { "POST", 1, auth_register };

	return serve(&ep);
}
