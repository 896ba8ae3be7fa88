/*
 * Linked only into the fully static executables (me, login, refresh: see
 * the Makefile), never into libcommon.a.  Three things in their code call
 * glibc's dlopen or gethostbyname, which in a static executable need
 * glibc's shared libraries at run time after all (the link warns so):
 * Debian's SQLite's load_extension (when that SQLite is linked; the one
 * make deps builds has none), never enabled here; policy.c's libzxcvbn,
 * used by register only (which stays dynamic); and libfcgi's code that
 * opens a listening socket by host name, never used (the FastCGI server
 * hands the process its socket).  These refusals stand in for them, so a
 * static executable loads no code at run time and looks no name up.  The
 * dl* calls reach them through the linker's --wrap (glibc's static
 * iconv links its own dlopen, and any call to that name would warn).
 */
#include <dlfcn.h>
#include <netdb.h>
#include <stddef.h>

void	*__wrap_dlopen(const char *, int);
void	*__wrap_dlsym(void *restrict, const char *restrict);
int	 __wrap_dlclose(void *);
char	*__wrap_dlerror(void);

void *
__wrap_dlopen(const char *file, int mode)
{
	(void)file;
	(void)mode;
	return NULL;
}

void *
__wrap_dlsym(void *restrict handle, const char *restrict name)
{
	(void)handle;
	(void)name;
	return NULL;
}

int
__wrap_dlclose(void *handle)
{
	(void)handle;
	return 0;
}

char *
__wrap_dlerror(void)
{
	static char	 msg[] = "no dynamic loading in a static executable";

	return msg;
}

struct hostent *
gethostbyname(const char *name)
{
	(void)name;
	h_errno = NO_RECOVERY;
	return NULL;
}
