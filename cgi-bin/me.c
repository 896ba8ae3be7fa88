/*
 * GET me: the profile of the user an access token names.
 * The behaviour lives in common/auth.c; this file only wires it up.
 */
#include "auth.h"
#include "serve.h"

int
main(void)
{
	static const struct endpoint ep = { "GET, HEAD", 0, auth_me };

	return serve(&ep);
}
