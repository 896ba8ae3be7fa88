/*
 * authctl import-django: users from a Django auth_user export, JSON as
 * "manage.py dumpdata auth.user" writes it or CSV with a header line (as
 * sqlite3 -csv -header and psql's \copy ... CSV HEADER write it).  Every
 * row is read and checked first; then all of them go in one transaction,
 * or none.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <cJSON.h>

#include "auth.h"
#include "authctl.h"
#include "db.h"
#include "json.h"
#include "num.h"
#include "names.h"
#include "pw.h"
#include "text.h"

#define FILE_MAX	(1L << 30)	/* bytes of an export */
#define FIELD_MAX	65536		/* bytes of one CSV field */
#define USERNAME_MAX	150		/* code points, Django's max_length */
#define EMAIL_MAX	254
#define PASSWORD_MAX	4096		/* bytes of a stored hash */

/* One user read from the export. */
struct row {
	struct user	 u;
	char		*ukey;		/* the keys the unique indexes hold */
	char		*ekey;
	long		 where;		/* CSV line, or JSON record number */
	int		 unsupported;	/* a hash of another algorithm */
};

struct import {
	const char	*file;
	int		 csv;		/* else JSON */
	struct row	*rows;
	size_t		 n, cap;
	int		 errors;	/* rows that cannot be imported */
	int		 unsupported;
};

/* Say what is wrong with the row read at where; counts an error. */
static void
row_error(struct import *im, long where, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
row_error(struct import *im, long where, const char *fmt, ...)
{
	va_list	 ap;

	fprintf(stderr, "authctl: %s: %s %ld: ", ctl_visible(im->file),
	    im->csv ? "line" : "record", where);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	im->errors++;
}

/* Say something of the user read in row r. */
static void
row_note(const struct import *im, const struct row *r, const char *what,
    const char *detail)
{
	fprintf(stderr, "authctl: %s: %s %ld: %s (id %lld): %s%s\n",
	    ctl_visible(im->file), im->csv ? "line" : "record", r->where,
	    ctl_visible(r->u.username), r->u.id, what, ctl_visible(detail));
}

/* The whole file, NUL-terminated, in *buf (size *len): 0, or -1 (said). */
static int
slurp(const char *path, char **buf, size_t *len)
{
	FILE	*f;
	size_t	 cap = 65536, n = 0, got;
	char	*b = NULL, *nb;

	if ((f = fopen(path, "rb")) == NULL) {
		ctl_fail("%s: %s", ctl_visible(path), strerror(errno));
		return -1;
	}
	for (;;) {
		if ((nb = realloc(b, cap + 1)) == NULL) {
			ctl_fail("%s: out of memory", ctl_visible(path));
			goto fail;
		}
		b = nb;
		got = fread(b + n, 1, cap - n, f);
		n += got;
		if (n < cap)
			break;
		if (cap >= (size_t)FILE_MAX) {
			ctl_fail("%s: larger than %ld bytes", ctl_visible(path),
			    FILE_MAX);
			goto fail;
		}
		cap *= 2;
	}
	if (ferror(f)) {
		ctl_fail("%s: %s", ctl_visible(path), strerror(errno));
		goto fail;
	}
	fclose(f);
	b[n] = '\0';
	*buf = b;
	*len = n;
	return 0;
fail:
	fclose(f);
	free(b);
	return -1;
}

/* Django's booleans as the exports write them. */
static int
parse_bool(const char *s, int *v)
{
	static const char *const yes[] = { "1", "t", "true" };
	static const char *const no[] = { "0", "f", "false" };
	size_t	 i;

	for (i = 0; i < 3; i++) {
		if (strcasecmp(s, yes[i]) == 0)
			return *v = 1, 0;
		if (strcasecmp(s, no[i]) == 0)
			return *v = 0, 0;
	}
	return -1;
}

/*
 * Non-zero if s holds a control character (C0, DEL, C1) or a bidi
 * control: register's rules let none into a username, and in an operator's
 * listing "\u202eadmin" would pass for another name.
 */
static int
has_control(const char *s)
{
	return text_has_hidden(s, strlen(s));
}

/*
 * One user from its text values (NULL: absent; last_login may be NULL or
 * empty for "never").  Checks and normalises them into a new row, or says
 * why not.
 */
static void
add_row(struct import *im, long where, const char *id, const char *username,
    const char *email, const char *password, const char *is_active,
    const char *date_joined, const char *last_login)
{
	struct row	*r, *nr;
	size_t		 start, len;
	unsigned long	 iterations;
	long		 ulen, elen;
	int		 errors = im->errors;

	if (im->n == im->cap) {
		im->cap = im->cap == 0 ? 256 : im->cap * 2;
		if ((nr = realloc(im->rows, im->cap * sizeof(*nr))) == NULL) {
			row_error(im, where, "out of memory");
			return;
		}
		im->rows = nr;
	}
	r = &im->rows[im->n];
	memset(r, 0, sizeof(*r));
	r->where = where;
	/* No leading zero: "07" is no id Django writes. */
	if (id == NULL || *id == '0' || ctl_number(id, 1,
	    DB_IMPORT_ID_LIMIT - 1, &r->u.id) == -1)
		row_error(im, where, "id: not a whole number from 1 to 2^52-1");
	if (username == NULL || (ulen = text_length(username,
	    strlen(username))) < 0 || ulen > USERNAME_MAX ||
	    has_control(username))
		row_error(im, where, "username: missing, not UTF-8, longer "
		    "than %d characters or with a control character",
		    USERNAME_MAX);
	else if ((r->u.username = names_stored(NAMES_USERNAME,
	    username)) == NULL || (r->ukey = names_key(NAMES_USERNAME,
	    r->u.username)) == NULL)
		row_error(im, where, "out of memory");
	else if (*r->ukey == '\0')	/* login never matches an empty key */
		row_error(im, where, "username: empty, or only invisible "
		    "characters");
	if (email == NULL)
		email = "";
	if ((elen = text_length(email, strlen(email))) < 0 ||
	    elen > EMAIL_MAX || has_control(email))
		row_error(im, where, "email: not UTF-8, longer than %d "
		    "characters or with a control character", EMAIL_MAX);
	else {
		len = text_strip(email, &start);
		/* Stored as Django had it (not lowercased), keyed as register. */
		if ((r->u.email = strndup(email + start, len)) == NULL ||
		    (r->ekey = names_key(NAMES_EMAIL, r->u.email)) == NULL)
			row_error(im, where, "email: out of memory");
	}
	if (password == NULL || strlen(password) > PASSWORD_MAX)
		row_error(im, where, "password: missing or longer than %d "
		    "bytes", PASSWORD_MAX);
	else if ((iterations = pw_iterations(password)) > PW_ITERATIONS_MAX)
		row_error(im, where, "password: a pbkdf2_sha256 hash of more "
		    "than %lu iterations, which no login may cost",
		    PW_ITERATIONS_MAX);
	else if ((r->u.password = strdup(password)) == NULL)
		row_error(im, where, "out of memory");
	r->u.is_active = 1;
	if (is_active != NULL && parse_bool(is_active, &r->u.is_active) == -1)
		row_error(im, where, "is_active: \"%s\" is no boolean",
		    ctl_visible(is_active));
	r->u.date_joined = time(NULL);
	if (date_joined != NULL && ctl_parse_time(date_joined,
	    &r->u.date_joined) == -1)
		row_error(im, where, "date_joined: \"%s\" is no date and time",
		    ctl_visible(date_joined));
	if (last_login != NULL && *last_login != '\0' &&
	    ctl_parse_time(last_login, &r->u.last_login) == -1)
		row_error(im, where, "last_login: \"%s\" is no date and time",
		    ctl_visible(last_login));
	if (im->errors > errors) {
		db_user_free(&r->u);
		free(r->ukey);
		free(r->ekey);
		return;
	}
	im->n++;
	/* Django's unusable passwords ("!..." or "") are kept as they are. */
	if (*password != '\0' && *password != '!' && !pw_usable(password)) {
		r->unsupported = 1;
		im->unsupported++;
	}
}

/*
 * A member of a dumpdata record as text: NULL if absent, a JSON null as
 * "" (last_login never), a boolean as "true"/"false", an integral number
 * (the pk) in digits; any other type is said as an error.
 */
static const char *
json_text(struct import *im, long i, const cJSON *o, const char *name,
    char *buf, size_t n)
{
	const cJSON	*v = cJSON_GetObjectItemCaseSensitive(o, name);

	if (v == NULL)
		return NULL;
	if (cJSON_IsString(v)) {
		/* json_check() marked each \u0000: cJSON would cut there. */
		if (strchr(v->valuestring, JSON_NUL_MARK) == NULL)
			return v->valuestring;
		row_error(im, i, "%s: holds a NUL (\\u0000)", name);
		return NULL;
	}
	if (cJSON_IsBool(v))
		return cJSON_IsTrue(v) ? "true" : "false";
	if (cJSON_IsNull(v))
		return "";
	if (cJSON_IsNumber(v) && v->valuedouble > -(double)DB_ID_LIMIT &&
	    v->valuedouble < (double)DB_ID_LIMIT &&
	    v->valuedouble == (double)(long long)v->valuedouble) {
		snprintf(buf, n, "%lld", (long long)v->valuedouble);
		return buf;
	}
	row_error(im, i, "%s: of the wrong type", name);
	return NULL;
}

static int
read_json(struct import *im, char *text, size_t len)
{
	static const char *const names[] = { "username", "email", "password",
	    "is_active", "date_joined", "last_login" };
	const cJSON	*rec, *fields, *model;
	const char	*v[6], *id, *dot;
	cJSON		*doc = NULL;
	char		 num[7][32];
	long		 i = 0;
	int		 before, j;

	if (json_check(text, len) == -1 ||
	    (doc = cJSON_ParseWithLength(text, len)) == NULL ||
	    !cJSON_IsArray(doc)) {
		cJSON_Delete(doc);
		ctl_fail("%s: neither a JSON array (as dumpdata writes it) "
		    "nor CSV", ctl_visible(im->file));
		return -1;
	}
	cJSON_ArrayForEach(rec, doc) {
		i++;
		before = im->errors;
		/* auth.user, or a custom user model ("accounts.user"). */
		model = cJSON_GetObjectItemCaseSensitive(rec, "model");
		if (cJSON_IsString(model) && ((dot = strrchr(model->valuestring,
		    '.')) == NULL || strlen(dot) < 5 ||
		    strcmp(dot + strlen(dot) - 4, "user") != 0)) {
			row_error(im, i, "a %s, not a user (dumpdata auth.user)",
			    ctl_visible(model->valuestring));
			continue;
		}
		fields = cJSON_GetObjectItemCaseSensitive(rec, "fields");
		if (!cJSON_IsObject(fields)) {
			row_error(im, i, "no \"fields\" object");
			continue;
		}
		id = json_text(im, i, rec, "pk", num[6], sizeof(num[6]));
		for (j = 0; j < 6; j++)
			v[j] = json_text(im, i, fields, names[j], num[j],
			    sizeof(num[j]));
		/* A number where a string belongs is no name or date. */
		for (j = 0; j < 6; j++)
			if (v[j] == num[j] && j != 3)
				row_error(im, i, "%s: a number", names[j]);
		if (im->errors == before)
			add_row(im, i, id, v[0], v[1], v[2], v[3], v[4], v[5]);
	}
	cJSON_Delete(doc);
	return 0;
}

/* A CSV reader: RFC 4180 quoting, LF or CRLF line ends. */
struct csv {
	const char	*p, *end;
	long		 line;
};

/*
 * The next field into a new string; *last is set when it ended its record.
 * Returns the string, or NULL on a malformed or too long field (said).
 */
static char *
csv_field(struct import *im, struct csv *c, int *last)
{
	char	*f = malloc(FIELD_MAX + 1);
	size_t	 n = 0;
	long	 line = c->line;	/* where the field starts, for errors */
	int	 quoted = c->p < c->end && *c->p == '"';

	if (f == NULL)
		return NULL;
	if (quoted)
		c->p++;
	for (; c->p < c->end; c->p++) {
		char ch = *c->p;

		if (quoted && ch == '"') {
			if (c->p + 1 < c->end && c->p[1] == '"')
				c->p++;		/* "" is one quote */
			else {
				quoted = 0;
				continue;
			}
		} else if (!quoted && (ch == ',' || ch == '\n' ||
		    (ch == '\r' && c->p + 1 < c->end && c->p[1] == '\n')))
			break;
		else if (ch == '\0' || (!quoted && ch == '"'))
			goto bad;	/* RFC 4180: quotes only around a field */
		if (ch == '\n')
			c->line++;
		if (n == FIELD_MAX)
			goto bad;
		f[n++] = ch;
	}
	if (quoted)
		goto bad;	/* no closing quote */
	f[n] = '\0';
	*last = c->p >= c->end || *c->p != ',';
	if (c->p < c->end && *c->p == '\r')
		c->p++;
	if (c->p < c->end) {
		if (*c->p == '\n')
			c->line++;
		c->p++;
	}
	return f;
bad:
	row_error(im, line, "a malformed CSV field (an unclosed or stray "
	    "quote, a NUL, or longer than %d bytes)", FIELD_MAX);
	free(f);
	return NULL;
}

#define CSV_COLUMNS	64

static void
csv_free(char **fields, int n)
{
	while (n > 0)
		free(fields[--n]);
}

/* One record into fields (at most CSV_COLUMNS): its count, or -1. */
static int
csv_record(struct import *im, struct csv *c, char **fields)
{
	int	 n = 0, last = 0;

	while (!last) {
		if (n == CSV_COLUMNS) {
			row_error(im, c->line, "more than %d columns",
			    CSV_COLUMNS);
			csv_free(fields, n);
			return -1;
		}
		if ((fields[n] = csv_field(im, c, &last)) == NULL) {
			csv_free(fields, n);	/* found by fuzz-import */
			return -1;
		}
		n++;
	}
	return n;
}

static int
read_csv(struct import *im, const char *text, size_t len)
{
	static const char *const names[] = { "id", "username", "email",
	    "password", "is_active", "date_joined", "last_login" };
	enum { ID, USERNAME, EMAIL, PASSWORD, IS_ACTIVE, DATE_JOINED,
	    LAST_LOGIN, NCOLS };
	struct csv	 c = { text, text + len, 1 };
	char		*head[CSV_COLUMNS], *f[CSV_COLUMNS];
	const char	*v[NCOLS];
	int		 col[NCOLS], nh, n, i, j;
	long		 where;

	if ((nh = csv_record(im, &c, head)) == -1)
		return -1;
	for (i = 0; i < NCOLS; i++) {
		col[i] = -1;
		for (j = 0; j < nh; j++)
			if (strcmp(head[j], names[i]) == 0)
				col[i] = j;
	}
	csv_free(head, nh);
	for (i = 0; i < NCOLS; i++)
		if (col[i] == -1 && (i == ID || i == USERNAME ||
		    i == PASSWORD)) {
			ctl_fail("%s: the header line (the first) has no %s "
			    "column", ctl_visible(im->file), names[i]);
			return -1;
		}
	while (c.p < c.end) {
		where = c.line;
		if ((n = csv_record(im, &c, f)) == -1)
			return -1;
		if (n == 1 && *f[0] == '\0') {	/* an empty line */
			csv_free(f, n);
			continue;
		}
		if (n != nh)
			row_error(im, where, "%d fields, but the header has %d",
			    n, nh);
		else {
			for (i = 0; i < NCOLS; i++)
				v[i] = col[i] != -1 ? f[col[i]] : NULL;
			add_row(im, where, v[ID], v[USERNAME], v[EMAIL],
			    v[PASSWORD], v[IS_ACTIVE], v[DATE_JOINED],
			    v[LAST_LOGIN]);
		}
		csv_free(f, n);
	}
	return 0;
}

/* The algorithm a hash names, for the list of unsupported ones. */
static void
algorithm(const char *hash, char *buf, size_t n)
{
	size_t	 len = strcspn(hash, "$");

	if (hash[len] != '$')
		snprintf(buf, n, "%s", "(no algorithm: unsalted MD5 or SHA-1?)");
	else if (strncmp(hash, "pbkdf2_sha256", len) == 0)
		snprintf(buf, n, "pbkdf2_sha256 (malformed)");
	else
		snprintf(buf, n, "%.*s", (int)(len < 40 ? len : 40), hash);
}

/* Insert every row, in the one open transaction: the duplicates found. */
static int
insert(struct ctl *c, struct import *im, int *failed)
{
	static const char *const why[] = {
		[DB_TAKEN_USERNAME] = "the username is taken "
		    "(case-insensitively), in the database or earlier in the file",
		[DB_TAKEN_EMAIL] = "the email is taken (case-insensitively), in "
		    "the database or earlier in the file",
		[DB_TAKEN_ID] = "the id is taken, in the database or earlier "
		    "in the file",
		[DB_DELETED_ID] = "the id was a deleted user's (whose tokens "
		    "must not come to name somebody else)",
	};
	struct row	*r;
	enum db_taken	 taken;
	size_t		 i;
	int		 dups = 0;

	for (i = 0; i < im->n && !*failed; i++) {
		r = &im->rows[i];
		if (r->unsupported)
			continue;
		if (db_user_import(c->app.db, &r->u, r->ukey, r->ekey,
		    &taken) == -1)
			*failed = 1;
		else if (taken != DB_FREE) {
			row_note(im, r, why[taken], "");
			dups++;
		}
	}
	return dups;
}

/*
 * Read and check the export named by c->args[0] into im (text keeps the
 * file): 0, or -1 once every reason not to import it is said.
 */
static int
load(struct ctl *c, struct import *im, char **text)
{
	char	*p, alg[64];
	size_t	 len, i;

	im->file = c->args[0];
	if (slurp(im->file, text, &len) == -1)
		return -1;
	p = *text;
	if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3;		/* a UTF-8 byte-order mark */
	p += strspn(p, " \t\r\n");
	/* dumpdata writes an array; an object is JSON too, and refused. */
	im->csv = *p != '[' && *p != '{';
	if ((im->csv ? read_csv(im, p, len - (size_t)(p - *text)) :
	    read_json(im, p, len - (size_t)(p - *text))) == -1)
		return -1;
	if (im->errors > 0) {
		ctl_fail("%s: %d row%s cannot be imported; nothing was",
		    ctl_visible(im->file), im->errors, im->errors == 1 ? "" : "s");
		return -1;
	}
	for (i = 0; i < im->n; i++)
		if (im->rows[i].unsupported) {
			algorithm(im->rows[i].u.password, alg, sizeof(alg));
			row_note(im, &im->rows[i], "unsupported password hash ",
			    alg);
		}
	if (im->unsupported > 0 && !c->skip_unsupported) {
		ctl_fail("%s: %d user%s with password hashes other than "
		    "pbkdf2_sha256; nothing was imported (--skip-unsupported "
		    "imports the others)", ctl_visible(im->file), im->unsupported,
		    im->unsupported == 1 ? "" : "s");
		return -1;
	}
	return 0;
}

/* Insert the rows in one transaction, kept only if all went in: 0 or -1. */
static int
store(struct ctl *c, struct import *im)
{
	char	 detail[64];
	int	 failed = 0, dups, exists = 1;

	/*
	 * Only now the database, so that a bad file creates none; a dry
	 * run creates none either, checking against an empty one instead.
	 */
	if (c->dry_run && (exists = db_exists(c->app.cf.db_path)) == -1) {
		ctl_fail("cannot tell whether the database exists (see above)");
		return -1;
	}
	if (ctl_open(c, c->dry_run ? DB_EXISTING : DB_CREATE, c->dry_run &&
	    exists == 0) != CTL_OK)
		return -1;
	if (db_begin(c->app.db) == -1) {
		ctl_fail("the database failed (see above)");
		return -1;
	}
	dups = insert(c, im, &failed);
	/* The "import" event, in the import's own transaction. */
	snprintf(detail, sizeof(detail), "%zu users",
	    im->n - (size_t)im->unsupported);
	if (!failed && dups == 0 && !c->dry_run &&
	    db_event(c->app.db, (long long)time(NULL), "import", 0, NULL,
	    detail) == -1)
		failed = 1;
	if (!failed && dups == 0 && !c->dry_run)
		failed = db_end(c->app.db, 0) == -1;
	else
		db_end(c->app.db, 1);
	if (failed)
		ctl_fail("the database failed (see above); nothing was "
		    "imported");
	else if (dups > 0)
		ctl_fail("%s: %d duplicate%s; nothing was imported",
		    ctl_visible(im->file),
		    dups, dups == 1 ? "" : "s");
	return failed || dups > 0 ? -1 : 0;
}

/* What was (or, on a dry run, would be) imported. */
static void
report(const struct ctl *c, const struct import *im)
{
	size_t		 i, imported = im->n - (size_t)im->unsupported;
	unsigned long	 it, max = 0;
	long		 costlier = 0;
	int		 inactive = 0, unusable = 0;
	char		 note[512];

	for (i = 0; i < im->n; i++) {
		const struct user *u = &im->rows[i].u;

		if (im->rows[i].unsupported)
			continue;
		inactive += !u->is_active;
		unusable += *u->password == '\0' || *u->password == '!';
		if ((it = pw_iterations(u->password)) > c->app.cf.iterations) {
			costlier++;
			max = it > max ? it : max;
		}
	}
	printf("%s %zu user%s (%d inactive, %d with an unusable password)",
	    c->dry_run ? "would import" : "imported", imported,
	    imported == 1 ? "" : "s", inactive, unusable);
	if (im->unsupported > 0)
		printf("; left out %d with unsupported hashes",
		    im->unsupported);
	printf("\n");
	if (costlier > 0) {
		ctl_costlier(note, sizeof(note), costlier, max,
		    c->app.cf.iterations);
		printf("note: %s\n", note);
	}
}

int
cmd_import_django(struct ctl *c)
{
	struct import	 im;
	char		*text = NULL;
	size_t		 i;
	int		 rc = CTL_FAILED;

	memset(&im, 0, sizeof(im));
	if (load(c, &im, &text) == 0 && store(c, &im) == 0) {
		report(c, &im);
		rc = CTL_OK;
	}
	for (i = 0; i < im.n; i++) {
		db_user_free(&im.rows[i].u);
		free(im.rows[i].ukey);
		free(im.rows[i].ekey);
	}
	free(im.rows);
	free(text);
	return rc;
}
