/*
 * GET me: the profile of the user an access token names.
 * The behaviour lives in common/auth.c; this file only wires it up.
 */
#include <cJSON.h>

#include "auth.h"
#include "cgi.h"
#include "conf.h"

int
main(void)
{
	struct conf	 cf;
	struct req	 rq;
	cJSON		*out = NULL;
	int		 st;

	cgi_begin(&rq, "GET, HEAD");
	if (conf_load(&cf) == -1)
		st = 500;
	else if ((st = cgi_check_method(&rq)) == 200)
		st = auth_me(&rq, &cf, &out);
	cgi_reply(&rq, st, out);
	cJSON_Delete(out);
	cgi_end(&rq, NULL);
	conf_free(&cf);
	return 0;
}
