/*
 * POST register: create an account and receive an access/refresh token pair.
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
	cJSON		*in = NULL, *out = NULL;
	int		 st;

	cgi_begin(&rq, "POST");
	if (conf_load(&cf) == -1)
		st = 500;
	else if ((st = cgi_check_method(&rq)) == 200 &&
	    (st = cgi_read_json(&rq, &in)) == 200)
		st = auth_register(&rq, &cf, in, &out);
	cgi_reply(&rq, st, out);
	cJSON_Delete(out);
	cgi_end(&rq, in);
	conf_free(&cf);
	return 0;
}
