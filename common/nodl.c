/*
 * Linked only into the fully static executables (me, login, refresh: see
 * mk/static.mk), never into libcommon.a.  Three things in their code call
 * glibc's dlopen or gethostbyname, which in a static executable need
 * glibc's shared libraries at run time after all (the link warns so):
 * Debian's SQLite's load_extension (when that SQLite is linked; the one
 * make deps builds has none), never enabled here; policy.c's libzxcvbn;
 * and libfcgi's code that opens a listening socket by host name, never
 * used (the FastCGI server hands the process its socket).  These refusals
 * stand in for them, so a static executable loads no code at run time and
 * looks no name up.  The dl* calls reach them through the linker's --wrap
 * (glibc's static iconv links its own dlopen, and any call to that name
 * would warn).
 *
 * One exception, compiled in with -DNODL_ZXCVBN for me: PUT me/password
 * judges the new password, and Debian's libzxcvbn.a is not
 * position-independent, so me opens libzxcvbn.so.0 as register does
 * (glibc's dlopen from a static executable, which needs the system's
 * glibc of the version linked: the one it was built on).  Nothing else
 * is let through, and GET me never gets there.
 */
#include <dlfcn.h>
#include <netdb.h>
#include <stddef.h>
#include <string.h>

void	*__wrap_dlopen(const char *, int);
void	*__wrap_dlsym(void *restrict, const char *restrict);
int	 __wrap_dlclose(void *);
char	*__wrap_dlerror(void);

#ifdef NODL_ZXCVBN
void	*__real_dlopen(const char *, int);
void	*__real_dlsym(void *restrict, const char *restrict);
char	*__real_dlerror(void);

static void	*zxcvbn;	/* the one library let through, once open */
static int	 real_error;	/* the last failure was glibc's */
#endif

void *
__wrap_dlopen(const char *file, int mode)
{
#ifdef NODL_ZXCVBN
	if (file != NULL && strcmp(file, "libzxcvbn.so.0") == 0) {
		zxcvbn = __real_dlopen(file, mode);
		real_error = zxcvbn == NULL;
		return zxcvbn;
	}
	real_error = 0;
#endif
	(void)file;
	(void)mode;
	return NULL;
}

void *
__wrap_dlsym(void *restrict handle, const char *restrict name)
{
#ifdef NODL_ZXCVBN
	if (handle != NULL && handle == zxcvbn)
		return __real_dlsym(handle, name);
#endif
	(void)handle;
	(void)name;
	return NULL;
}

int
__wrap_dlclose(void *handle)
{
	(void)handle;
	return 0;	/* never unloaded: the process ends first */
}

char *
__wrap_dlerror(void)
{
	static char	 msg[] = "no dynamic loading in a static executable";

#ifdef NODL_ZXCVBN
	if (real_error)
		return __real_dlerror();
#endif
	return msg;
}

struct hostent *
gethostbyname(const char *name)
{
	(void)name;
	h_errno = NO_RECOVERY;
	return NULL;
}
