/*
 * GET me: the profile of the user an access token names; and by PATH_INFO
 * and method the account endpoints: DELETE me, PATCH me/email, PUT
 * me/password.
 * The behaviour lives in common/auth.c and common/account.c; this file
 * only wires it up.
 */
#include "auth.h"
#include "serve.h"

int
main(void)
{
	static const struct handler h[] = {
		{ "", "GET", BODY_NONE, auth_me },
		{ "", "DELETE", BODY_LATER, auth_me_delete },
		{ "/email", "PATCH", BODY_LATER, auth_me_email },
		{ "/password", "PUT", BODY_LATER, auth_me_password },
	};
	static const struct endpoint ep = { h, sizeof(h) / sizeof(h[0]) };

	return serve(&ep);
}
