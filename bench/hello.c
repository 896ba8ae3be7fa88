/* The baseline: the smallest CGI program that answers, linked statically. */
#include <unistd.h>

int
main(void)
{
	static const char out[] = "Status: 200 OK\r\n"
	    "Content-Type: application/json\r\n\r\n{}";

	return write(1, out, sizeof(out) - 1) == sizeof(out) - 1 ? 0 : 1;
}
