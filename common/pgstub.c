/*
 * Linked only into the static executables of make DB=postgresql (see
 * mk/static.mk), never into libcommon.a.  Debian's libpq.a is built with
 * GSSAPI and LDAP, and neither library ships a static archive.  These
 * programs use neither (a unix socket to pgbouncer; password, SCRAM or TLS
 * to PostgreSQL), so they get these stand-ins: every GSSAPI call fails as
 * a machine without Kerberos credentials fails (libpq then goes on without
 * GSSAPI encryption, or reports that the server's GSSAPI authentication is
 * unavailable), and ldap_init fails (libpq reports an LDAP service lookup
 * as impossible).  The signatures follow RFC 2744 and OpenLDAP's ldap.h,
 * with opaque pointers for their structures.
 */
#include <stddef.h>
#include <string.h>

typedef unsigned int	gss_uint32;

/* RFC 2744's gss_buffer_desc, which gss_display_status fills in. */
struct gss_buffer {
	size_t	 length;
	void	*value;
};

#define GSS_FAILURE	(13u << 16)	/* GSS_S_FAILURE, a routine error */

static char	unavailable[] = "GSSAPI is not available in this build";

void		*GSS_C_NT_HOSTBASED_SERVICE;

gss_uint32	gss_acquire_cred(gss_uint32 *, void *, gss_uint32, void *,
		    int, void **, void **, gss_uint32 *);
gss_uint32	gss_delete_sec_context(gss_uint32 *, void **, void *);
gss_uint32	gss_display_status(gss_uint32 *, gss_uint32, int, void *,
		    gss_uint32 *, struct gss_buffer *);
gss_uint32	gss_import_name(gss_uint32 *, void *, void *, void **);
gss_uint32	gss_init_sec_context(gss_uint32 *, void *, void **, void *,
		    void *, gss_uint32, gss_uint32, void *, void *, void **,
		    void *, gss_uint32 *, gss_uint32 *);
gss_uint32	gss_release_buffer(gss_uint32 *, struct gss_buffer *);
gss_uint32	gss_release_cred(gss_uint32 *, void **);
gss_uint32	gss_release_name(gss_uint32 *, void **);
gss_uint32	gss_unwrap(gss_uint32 *, void *, void *, void *, int *,
		    gss_uint32 *);
gss_uint32	gss_wrap(gss_uint32 *, void *, int, gss_uint32, void *, int *,
		    void *);
gss_uint32	gss_wrap_size_limit(gss_uint32 *, void *, int, gss_uint32,
		    gss_uint32, gss_uint32 *);

static gss_uint32
gss_fail(gss_uint32 *minor)
{
	if (minor != NULL)
		*minor = 0;
	return GSS_FAILURE;
}

gss_uint32
gss_acquire_cred(gss_uint32 *minor, void *name, gss_uint32 time, void *mechs,
    int usage, void **cred, void **actual, gss_uint32 *rec)
{
	(void)name, (void)time, (void)mechs, (void)usage, (void)actual;
	(void)rec;
	if (cred != NULL)
		*cred = NULL;
	return gss_fail(minor);
}

gss_uint32
gss_delete_sec_context(gss_uint32 *minor, void **ctx, void *out)
{
	(void)out;
	if (ctx != NULL)
		*ctx = NULL;
	if (minor != NULL)
		*minor = 0;
	return 0;
}

/* libpq prints the text whatever the status: give it one, and no more. */
gss_uint32
gss_display_status(gss_uint32 *minor, gss_uint32 status, int type, void *mech,
    gss_uint32 *more, struct gss_buffer *text)
{
	(void)status, (void)type, (void)mech;
	if (more != NULL)
		*more = 0;
	if (text != NULL) {
		text->value = unavailable;
		text->length = strlen(unavailable);
	}
	if (minor != NULL)
		*minor = 0;
	return 0;
}

gss_uint32
gss_import_name(gss_uint32 *minor, void *in, void *type, void **out)
{
	(void)in, (void)type;
	if (out != NULL)
		*out = NULL;
	return gss_fail(minor);
}

gss_uint32
gss_init_sec_context(gss_uint32 *minor, void *cred, void **ctx, void *name,
    void *mech, gss_uint32 flags, gss_uint32 time, void *chan, void *in,
    void **actual, void *out, gss_uint32 *ret_flags, gss_uint32 *rec)
{
	(void)cred, (void)ctx, (void)name, (void)mech, (void)flags;
	(void)time, (void)chan, (void)in, (void)actual, (void)out;
	(void)ret_flags, (void)rec;
	return gss_fail(minor);
}

/* Only ever handed the static text above, or an empty buffer. */
gss_uint32
gss_release_buffer(gss_uint32 *minor, struct gss_buffer *buf)
{
	if (buf != NULL) {
		buf->value = NULL;
		buf->length = 0;
	}
	if (minor != NULL)
		*minor = 0;
	return 0;
}

gss_uint32
gss_release_cred(gss_uint32 *minor, void **cred)
{
	if (cred != NULL)
		*cred = NULL;
	if (minor != NULL)
		*minor = 0;
	return 0;
}

gss_uint32
gss_release_name(gss_uint32 *minor, void **name)
{
	if (name != NULL)
		*name = NULL;
	if (minor != NULL)
		*minor = 0;
	return 0;
}

gss_uint32
gss_unwrap(gss_uint32 *minor, void *ctx, void *in, void *out, int *conf,
    gss_uint32 *qop)
{
	(void)ctx, (void)in, (void)out, (void)conf, (void)qop;
	return gss_fail(minor);
}

gss_uint32
gss_wrap(gss_uint32 *minor, void *ctx, int conf_req, gss_uint32 qop, void *in,
    int *conf, void *out)
{
	(void)ctx, (void)conf_req, (void)qop, (void)in, (void)conf, (void)out;
	return gss_fail(minor);
}

gss_uint32
gss_wrap_size_limit(gss_uint32 *minor, void *ctx, int conf_req,
    gss_uint32 qop, gss_uint32 size, gss_uint32 *max)
{
	(void)ctx, (void)conf_req, (void)qop, (void)size;
	if (max != NULL)
		*max = 0;
	return gss_fail(minor);
}

/* LDAP: ldap_init fails, so nothing below is ever reached. */
void	*ldap_init(const char *, int);
int	 ldap_set_option(void *, int, const void *);
int	 ldap_simple_bind(void *, const char *, const char *);
int	 ldap_search_st(void *, const char *, int, const char *, char **, int,
	    void *, void **);
int	 ldap_result(void *, int, int, void *, void **);
int	 ldap_count_entries(void *, void *);
void	*ldap_first_entry(void *, void *);
void	**ldap_get_values_len(void *, void *, const char *);
void	 ldap_value_free_len(void **);
int	 ldap_msgfree(void *);
int	 ldap_unbind(void *);
char	*ldap_err2string(int);

#define LDAP_FAILURE	(-1)	/* LDAP_SERVER_DOWN: no server to ask */

void *
ldap_init(const char *host, int port)
{
	(void)host, (void)port;
	return NULL;
}

int
ldap_set_option(void *ld, int opt, const void *value)
{
	(void)ld, (void)opt, (void)value;
	return LDAP_FAILURE;
}

int
ldap_simple_bind(void *ld, const char *who, const char *pw)
{
	(void)ld, (void)who, (void)pw;
	return LDAP_FAILURE;
}

int
ldap_search_st(void *ld, const char *base, int scope, const char *filter,
    char **attrs, int only, void *timeout, void **res)
{
	(void)ld, (void)base, (void)scope, (void)filter, (void)attrs;
	(void)only, (void)timeout;
	if (res != NULL)
		*res = NULL;
	return LDAP_FAILURE;
}

int
ldap_result(void *ld, int id, int all, void *timeout, void **res)
{
	(void)ld, (void)id, (void)all, (void)timeout;
	if (res != NULL)
		*res = NULL;
	return LDAP_FAILURE;
}

int
ldap_count_entries(void *ld, void *res)
{
	(void)ld, (void)res;
	return 0;
}

void *
ldap_first_entry(void *ld, void *res)
{
	(void)ld, (void)res;
	return NULL;
}

void **
ldap_get_values_len(void *ld, void *entry, const char *attr)
{
	(void)ld, (void)entry, (void)attr;
	return NULL;
}

void
ldap_value_free_len(void **values)
{
	(void)values;
}

int
ldap_msgfree(void *res)
{
	(void)res;
	return 0;
}

int
ldap_unbind(void *ld)
{
	(void)ld;
	return 0;
}

char *
ldap_err2string(int err)
{
	static char	text[] = "LDAP is not available in this build";

	(void)err;
	return text;
}
