/*
 * authctl: the command table, the command line, --help, and the helpers
 * the commands share.  It reads the same AUTH_* settings as the endpoints,
 * so run it with the environment the web server gives them.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <cJSON.h>

#include "auth.h"
#include "authctl.h"
#include "conf.h"
#include "crypto.h"
#include "db.h"
#include "num.h"
#include "text.h"

#define PASSWORD_MAX	4096	/* bytes of a password read from stdin */

/* The options a command takes. */
#define OPT_JSON	0x01
#define OPT_GRACE	0x02
#define OPT_DRY_RUN	0x04
#define OPT_SKIP	0x08
#define OPT_USER	0x10
#define OPT_SINCE	0x20

#define OPEN_LATER	(-1)	/* the command opens the database itself */

struct command {
	const char	*group;		/* "user", "secret", or NULL */
	const char	*name;
	const char	*operands;	/* for the usage line */
	int		 nargs;		/* how many operands */
	int		 opts;		/* OPT_* */
	int		 mode;		/* DB_CREATE, DB_EXISTING */
	int		(*run)(struct ctl *);
	const char	*help;
};

static const struct command commands[] = {
	{ "user", "add", "USERNAME EMAIL", 2, 0, DB_CREATE, cmd_user_add,
	  "Create an active user, under register's rules (name, email and\n"
	  "password policy).  The password is read from standard input (one\n"
	  "line), or prompted for twice without echo on a terminal.\n" },
	{ "user", "list", "[--json]", 0, OPT_JSON, DB_EXISTING, cmd_user_list,
	  "List every user, by id: id, username, email, active (yes/no),\n"
	  "date joined and last login (UTC, \"-\" if never), tab-separated\n"
	  "under a header line; --json prints one JSON array instead.\n" },
	{ "user", "show", "USER [--json]", 1, OPT_JSON, DB_EXISTING,
	  cmd_user_show,
	  "Show one user.  USER is a username, an email address (it has an\n"
	  "\"@\"), or id:N; names match case-insensitively, as login does.\n" },
	{ "user", "passwd", "USER", 1, 0, DB_EXISTING, cmd_user_passwd,
	  "Set a new password (read as for user add, judged by register's\n"
	  "policy) and revoke every token issued to the user until now.\n" },
	{ "user", "disable", "USER", 1, 0, DB_EXISTING, cmd_user_disable,
	  "Make the user inactive: login refuses them, and refresh and me\n"
	  "refuse their tokens while they stay inactive.  It revokes nothing:\n"
	  "after user enable, unexpired tokens work again (revoke for that).\n" },
	{ "user", "enable", "USER", 1, 0, DB_EXISTING, cmd_user_enable,
	  "Make the user active again.\n" },
	{ "user", "delete", "USER", 1, 0, DB_EXISTING, cmd_user_delete,
	  "Delete the user.  Their id is never given to anybody else\n"
	  "(register never reuses one, and import-django refuses it), so\n"
	  "their tokens stop working and never name a new user.\n" },
	{ NULL, "revoke", "USER", 1, 0, DB_EXISTING, cmd_revoke,
	  "Revoke every access and refresh token issued to the user until\n"
	  "now (logout everywhere); they log in again for new ones.  Takes\n"
	  "up to a second: token times are whole seconds, and authctl waits\n"
	  "for the next one so that tokens issued after it returns work.\n" },
	{ NULL, "import-django", "[--dry-run] [--skip-unsupported] FILE", 1,
	  OPT_DRY_RUN | OPT_SKIP, OPEN_LATER, cmd_import_django,
	  "Import users from a Django auth_user export: the JSON of\n"
	  "\"manage.py dumpdata auth.user\", or CSV with a header line (as\n"
	  "sqlite3 -csv -header or psql's \\copy ... CSV HEADER write it).\n"
	  "Ids, usernames, emails, password hashes (verbatim), is_active,\n"
	  "date_joined and last_login are kept.  All or nothing, in one\n"
	  "transaction: a user whose id, username or email (case-insensitively)\n"
	  "is taken, in the database or earlier in the file, stops the import\n"
	  "and every such user is listed; so do password hashes of another\n"
	  "algorithm than pbkdf2_sha256, unless --skip-unsupported leaves\n"
	  "those users out.  Unusable passwords (\"!...\") are imported as\n"
	  "they are: those users cannot log in until user passwd.  --dry-run\n"
	  "checks and counts everything and imports nothing (against an\n"
	  "empty database when there is none yet, which it does not create).\n" },
	{ "secret", "rotate", "[--grace SECONDS]", 0, OPT_GRACE, OPEN_LATER,
	  cmd_secret_rotate,
	  "Replace the signing key kept in the database with a new random\n"
	  "one.  Tokens signed with the old key stop working at once, or,\n"
	  "with --grace, once SECONDS (at most 366 days) have passed.\n"
	  "Refused when AUTH_JWT_SECRET or AUTH_JWT_SECRET_FILE sets the\n"
	  "key: change it there.\n" },
	{ "secret", "show-source", "", 0, 0, OPEN_LATER,
	  cmd_secret_show_source,
	  "Say where the signing key comes from (environment, file or\n"
	  "database) and its length, without printing it.\n" },
	{ NULL, "events", "[--user USER] [--since TIME] [--json]", 0,
	  OPT_USER | OPT_SINCE | OPT_JSON, DB_EXISTING, cmd_events,
	  "List the audit log, oldest first: time (UTC), event, user id,\n"
	  "client and detail, tab-separated under a header line; --json\n"
	  "prints one JSON array instead.  --user keeps one user's events\n"
	  "(USER as for user show; id:N also for a deleted user), --since\n"
	  "those at or after TIME (YYYY-MM-DD[THH:MM[:SS]][Z|+HH:MM], UTC\n"
	  "without an offset, or Unix seconds).  Events: login,\n"
	  "login_failed, login_throttled, register, password_changed,\n"
	  "email_changed, account_deleted, logout, logout_everywhere,\n"
	  "refresh_reuse, and authctl's revoke, disable, enable, passwd,\n"
	  "delete, import, key_rotated.\n" },
	{ NULL, "purge", "", 0, 0, DB_EXISTING, cmd_purge,
	  "Delete the attempt-counter and name-failure windows that have\n"
	  "ended, logged-out and spent tokens past their exp, clients not\n"
	  "seen for 30 days, events older than AUTH_EVENT_DAYS, and a\n"
	  "previous signing key whose grace is over; then truncate the\n"
	  "write-ahead log if no reader is using it.  Safe to run from cron\n"
	  "while serving.\n" },
	{ NULL, "stats", "[--json]", 0, OPT_JSON, DB_INSPECT, cmd_stats,
	  "Users, active users, attempt-counter rows, remembered tokens,\n"
	  "database and WAL size in bytes, schema version.  On PostgreSQL\n"
	  "db_bytes is what our tables and indexes take, and wal_bytes is 0\n"
	  "(the server's write-ahead log is not ours).\n" },
	{ NULL, "check", "", 0, 0, DB_INSPECT, cmd_check,
	  "Check the settings, SQLite's integrity, the schema version, the\n"
	  "files' modes and owner, and the signing key's length.  Exits 1 if\n"
	  "anything is wrong.  On PostgreSQL: the schema version, its tables\n"
	  "and indexes, the id sequence, that the role is not a superuser\n"
	  "and the database's encoding, in place of the integrity check and\n"
	  "the files.\n" },
	{ NULL, "copy-to", "DATABASE", 1, 0, DB_EXISTING, cmd_copy_to,
	  "Copy this site (AUTH_DB) into DATABASE, given as AUTH_DB would\n"
	  "be (a postgresql:// URI, or a SQLite file), which must hold none\n"
	  "of our rows: to move a one-host SQLite site to PostgreSQL.  Users\n"
	  "keep their ids, password hashes, names, active flag and revocation\n"
	  "time; deleted ids stay never given again, and register goes on\n"
	  "after the largest id ever given; the signing key kept in the\n"
	  "database (and a previous one in its grace), the logged-out and\n"
	  "spent tokens, the clients known to accounts and the audit log go\n"
	  "too.  So tokens issued before keep working (with the same\n"
	  "AUTH_JWT_SECRET, if that is where the key is) and everybody logs\n"
	  "in with the same password.  The attempt counter's windows are\n"
	  "not copied.  All or nothing, in one transaction; stop the web\n"
	  "servers (or make them answer 503) while it runs, then point every\n"
	  "host's AUTH_DB at DATABASE.\n" },
};
#define NCOMMANDS	(sizeof(commands) / sizeof(commands[0]))

static void
usage_line(FILE *f, const struct command *cmd)
{
	fprintf(f, "  authctl %s%s%s%s%s\n", cmd->group != NULL ? cmd->group : "",
	    cmd->group != NULL ? " " : "", cmd->name,
	    *cmd->operands != '\0' ? " " : "", cmd->operands);
}

/* The list of commands (of group, or all): to stdout for --help. */
static int
usage(FILE *f, const char *group)
{
	size_t	 i;

	fprintf(f, "usage:\n");
	for (i = 0; i < NCOMMANDS; i++)
		if (group == NULL || (commands[i].group != NULL &&
		    strcmp(commands[i].group, group) == 0))
			usage_line(f, &commands[i]);
	if (f == stdout)
		fprintf(f, "\n"
		    "authctl COMMAND --help says more about each.  The settings\n"
		    "are the endpoints' AUTH_* environment variables (AUTH_DB is\n"
		    "the database): give authctl the web server's, and run it as\n"
		    "the database's owner (runuser -u www-data -- ..., or\n"
		    "sudo -u www-data ...).\n"
		    "Exit status: 0 done, 1 failed, 2 bad usage.\n");
	return f == stdout ? CTL_OK : CTL_USAGE;
}

static int
help(const struct command *cmd)
{
	printf("usage:\n");
	usage_line(stdout, cmd);
	printf("\n%s", cmd->help);
	return CTL_OK;
}

static int
is_help(const char *arg)
{
	return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0;
}

#define VISIBLE_RING	8

static char	*visible[VISIBLE_RING];
static size_t	 visible_next;

const char *
ctl_visible(const char *s)
{
	char	**slot = &visible[visible_next++ % VISIBLE_RING];

	free(*slot);
	*slot = text_visible(s, strlen(s));
	return *slot != NULL ? *slot : "?";
}

const char *
ctl_id(long long id)
{
	char	 buf[24];

	snprintf(buf, sizeof(buf), "%lld", id);
	return ctl_visible(buf);
}

static void
visible_free(void)
{
	size_t	 i;

	for (i = 0; i < VISIBLE_RING; i++) {
		free(visible[i]);
		visible[i] = NULL;
	}
}

void
ctl_costlier(char *buf, size_t len, long n, unsigned long max,
    unsigned long configured)
{
	/*
	 * SPEC "POST login": an unknown name costs one hash at the configured
	 * count, so a wrong password for these takes longer until their
	 * next login re-hashes them at it.
	 */
	snprintf(buf, len, "%ld user%s ha%s password hashes costlier than "
	    "AUTH_PBKDF2_ITERATIONS=%lu (up to %lu iterations): until each "
	    "logs in and is re-hashed, a wrong password for them takes longer "
	    "to refuse than a name that does not exist, which tells that they "
	    "exist; AUTH_PBKDF2_ITERATIONS=%lu closes that", n,
	    n == 1 ? "" : "s", n == 1 ? "s" : "ve", configured, max, max);
}

int
ctl_number(const char *s, long long min, long long max, long long *v)
{
	unsigned long long n;

	if (num_parse(s, strlen(s), (unsigned long long)max, &n) != NUM_OK ||
	    n < (unsigned long long)min)
		return -1;
	*v = (long long)n;
	return 0;
}

/* n decimal digits at *s into *v, advancing *s: 0, or -1. */
static int
digits(const char **s, int n, int *v)
{
	unsigned long long u;

	if (num_parse(*s, (size_t)n, 9999, &u) != NUM_OK)
		return -1;
	*v = (int)u;
	*s += n;
	return 0;
}

int
ctl_parse_time(const char *s, long long *t)
{
	struct tm	 tm, back;
	int		 y, mo, d, h = 0, mi = 0, sec = 0, oh = 0, om = 0, sign;
	time_t		 tt;

	if (digits(&s, 4, &y) == -1 || *s++ != '-' ||
	    digits(&s, 2, &mo) == -1 || *s++ != '-' ||
	    digits(&s, 2, &d) == -1)
		return -1;
	if (*s == 'T' || *s == ' ') {
		s++;
		if (digits(&s, 2, &h) == -1 || *s++ != ':' ||
		    digits(&s, 2, &mi) == -1)
			return -1;
		if (*s == ':' && (s++, digits(&s, 2, &sec) == -1))
			return -1;
		if (*s == '.') {
			if (*++s < '0' || *s > '9')
				return -1;
			while (*s >= '0' && *s <= '9')
				s++;
		}
	}
	if (*s == 'Z')
		s++;
	else if (*s == '+' || *s == '-') {
		sign = *s++ == '-' ? -1 : 1;
		if (digits(&s, 2, &oh) == -1)
			return -1;
		if (*s == ':')
			s++;
		if (*s != '\0' && digits(&s, 2, &om) == -1)
			return -1;
		if (oh > 23 || om > 59)
			return -1;
		oh *= sign;
		om *= sign;
	}
	if (*s != '\0' || y < 1)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	/* timegm() would roll 30 February over into March: not a date. */
	if ((tt = timegm(&tm)) == (time_t)-1 || gmtime_r(&tt, &back) == NULL ||
	    back.tm_year != y - 1900 || back.tm_mon != mo - 1 ||
	    back.tm_mday != d || back.tm_hour != h || back.tm_min != mi ||
	    back.tm_sec != sec)
		return -1;
	*t = (long long)tt - oh * 3600LL - om * 60LL;
	return 0;
}

/* Sort argv (from the command's words on) into options and operands. */
static int
parse(const struct command *cmd, int argc, char **argv, struct ctl *c)
{
	int	 i, opts_done = 0;

	c->args = argv;
	c->nargs = 0;
	for (i = 0; i < argc; i++) {
		const char *a = argv[i];

		if (opts_done || a[0] != '-' || a[1] == '\0') {
			argv[c->nargs++] = argv[i];	/* operands to the front */
			continue;
		}
		if (strcmp(a, "--") == 0)
			opts_done = 1;
		else if ((cmd->opts & OPT_JSON) && strcmp(a, "--json") == 0)
			c->json = 1;
		else if ((cmd->opts & OPT_DRY_RUN) && strcmp(a, "--dry-run") == 0)
			c->dry_run = 1;
		else if ((cmd->opts & OPT_SKIP) &&
		    strcmp(a, "--skip-unsupported") == 0)
			c->skip_unsupported = 1;
		else if ((cmd->opts & OPT_USER) && strcmp(a, "--user") == 0) {
			if (i + 1 == argc) {
				fprintf(stderr, "authctl: --user takes a user\n");
				return -1;
			}
			c->user = argv[++i];
		} else if ((cmd->opts & OPT_SINCE) && strcmp(a, "--since") == 0) {
			/* An ISO 8601 time, or Unix seconds. */
			if (i + 1 == argc || (ctl_parse_time(argv[i + 1],
			    &c->since) == -1 && ctl_number(argv[i + 1], 0,
			    LLONG_MAX, &c->since) == -1)) {
				fprintf(stderr, "authctl: --since takes a time "
				    "(YYYY-MM-DDTHH:MM:SSZ) or Unix seconds\n");
				return -1;
			}
			i++;
		} else if ((cmd->opts & OPT_GRACE) && strcmp(a, "--grace") == 0) {
			/* --grace: whole seconds, at most 366 days. */
			if (i + 1 == argc || ctl_number(argv[++i], 0,
			    366LL * 86400, &c->grace) == -1) {
				fprintf(stderr, "authctl: --grace takes whole "
				    "seconds, at most a year\n");
				return -1;
			}
		} else {
			fprintf(stderr, "authctl: unknown option %s\n",
			    ctl_visible(a));
			return -1;
		}
	}
	if (c->nargs != cmd->nargs) {
		fprintf(stderr, "authctl: %s takes %d operand%s\n", cmd->name,
		    cmd->nargs, cmd->nargs == 1 ? "" : "s");
		return -1;
	}
	return 0;
}

static const struct command *
lookup(const char *group, const char *name)
{
	size_t	 i;

	for (i = 0; i < NCOMMANDS; i++)
		if ((commands[i].group == NULL) == (group == NULL) &&
		    (group == NULL || strcmp(commands[i].group, group) == 0) &&
		    strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

int
main(int argc, char **argv)
{
	const struct command *cmd;
	struct ctl	 c;
	const char	*group = NULL;
	int		 i, word = 1, rc;

	if (argc < 2)
		return usage(stderr, NULL);
	if (is_help(argv[1]))
		return usage(stdout, NULL);
	if (strcmp(argv[1], "user") == 0 || strcmp(argv[1], "secret") == 0) {
		group = argv[1];
		if (argc < 3)
			return usage(stderr, group);
		if (is_help(argv[2]))
			return usage(stdout, group);
		word = 2;
	}
	if ((cmd = lookup(group, argv[word])) == NULL) {
		fprintf(stderr, "authctl: no command %s%s%s\n",
		    group != NULL ? group : "", group != NULL ? " " : "",
		    ctl_visible(argv[word]));
		return usage(stderr, group);
	}
	for (i = word + 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (is_help(argv[i]))
			return help(cmd);
	memset(&c, 0, sizeof(c));
	if (parse(cmd, argc - word - 1, argv + word + 1, &c) == -1) {
		fprintf(stderr, "usage:\n");
		usage_line(stderr, cmd);
		return CTL_USAGE;
	}
	/* What the endpoints read; a bad setting is said on stderr. */
	app_init(&c.app);
	if (!c.app.conf_ok) {
		app_free(&c.app);
		return ctl_fail("the settings are wrong (see above)");
	}
	/*
	 * No hashing slots: the operator's own hashes need no cap, and a
	 * slot file created by root would lock the web server out of it.
	 */
	c.app.cf.hash_slots = 0;
	rc = cmd->mode == OPEN_LATER ? CTL_OK : ctl_open(&c, cmd->mode, 0);
	if (rc == CTL_OK)
		rc = cmd->run(&c);
	app_free(&c.app);
	if (fflush(stdout) == EOF || ferror(stdout))
		rc = ctl_fail("writing the output: %s", strerror(errno));
	visible_free();
	return rc;
}

int
ctl_open(struct ctl *c, int mode, int memory)
{
	char	 shown[CONF_PATH_MAX];

	if ((c->app.db = db_open(memory ? NULL : c->app.cf.db_path, mode)) ==
	    NULL)
		return ctl_fail("cannot open the database %s (AUTH_DB)",
		    ctl_visible(db_shown(c->app.cf.db_path, shown,
		    sizeof(shown))));
	return CTL_OK;
}

int
ctl_fail(const char *fmt, ...)
{
	va_list	 ap;

	fflush(stdout);
	fputs("authctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return CTL_FAILED;
}

int
ctl_refused(enum auth_verdict v, const char *why)
{
	size_t	 len;

	if (v == AUTH_UNAVAILABLE)
		return ctl_fail("the database failed or stayed busy (see above)");
	if (v != AUTH_REFUSED)
		return ctl_fail("failed (see above)");
	/* One line per reason, as the endpoint lists its 422's fields. */
	while (*why != '\0') {
		len = strcspn(why, "\n");
		ctl_fail("%.*s", (int)len, why);
		why += len + (why[len] == '\n');
	}
	return CTL_FAILED;
}

const char *
ctl_time(long long t, char buf[32])
{
	struct tm	 tm;
	time_t		 tt = (time_t)t;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, 32, "%lld", t);
	return buf;
}

int
ctl_print_json(cJSON *doc)
{
	char	*text = doc != NULL ? cJSON_Print(doc) : NULL;
	int	 rc = text != NULL && puts(text) != EOF ? 0 : -1;

	cJSON_free(text);
	cJSON_Delete(doc);
	if (rc == -1)
		ctl_fail("out of memory, or output failed");
	return rc;
}

int
ctl_json_item(cJSON *o, int *n)
{
	char	*text = o != NULL ? cJSON_PrintUnformatted(o) : NULL;

	cJSON_Delete(o);
	if (text == NULL) {
		ctl_fail("out of memory");
		return -1;
	}
	printf("%s%s", (*n)++ == 0 ? "[\n" : ",\n", text);
	cJSON_free(text);
	return 0;
}

void
ctl_json_end(int n)
{
	printf("%s", n == 0 ? "[]\n" : "\n]\n");
}

int
ctl_find_user(struct ctl *c, const char *arg, struct user *u)
{
	long long	 id;
	int		 found;

	if (text_length(arg, strlen(arg)) < 0)
		return ctl_fail("%s: not UTF-8", ctl_visible(arg));
	if (strncmp(arg, "id:", 3) == 0) {
		if (ctl_number(arg + 3, 0, LLONG_MAX, &id) == -1)
			return ctl_fail("%s: not an id", ctl_visible(arg));
		found = db_user_by_id(c->app.db, id, u);
	} else {
		/* An "@" means an email, unless it is a username's. */
		found = auth_find_user(c->app.db, arg, strchr(arg, '@') != NULL,
		    u, NULL);
		if (found == 0 && strchr(arg, '@') != NULL)
			found = auth_find_user(c->app.db, arg, 0, u, NULL);
	}
	if (found < 0)
		return ctl_fail("looking up %s failed (see above)",
		    ctl_visible(arg));
	if (found == 0)
		return ctl_fail("no user %s", ctl_visible(arg));
	return CTL_OK;
}

int
ctl_change(struct ctl *c, const char *event, long long id,
    const char *detail, int (*op)(struct db *, long long, long long *),
    long long *arg)
{
	int	 rc;

	/* SPEC "Audit log": recorded in the transaction of what it records. */
	if (db_begin(c->app.db) == -1)
		return -1;
	if ((rc = op(c->app.db, id, arg)) == 1 &&
	    db_event(c->app.db, (long long)time(NULL), event, id, NULL,
	    detail) == -1)
		rc = -1;
	if (db_end(c->app.db, rc != 1) == -1)
		rc = -1;
	return rc;
}

void
ctl_next_second(struct db *db, long long t)
{
	struct timespec	 now, nap, start, mono;
	long long	 at;

	/*
	 * t is the storage's second (db_now: PostgreSQL's server's), so its
	 * clock is the one to wait on.  A clock stepped back would keep us
	 * here: two seconds at most.
	 */
	if (clock_gettime(CLOCK_MONOTONIC, &start) == -1)
		return;
	for (;;) {
		if ((at = db_now(db)) == -1 || at > t ||
		    clock_gettime(CLOCK_REALTIME, &now) == -1 ||
		    clock_gettime(CLOCK_MONOTONIC, &mono) == -1 ||
		    mono.tv_sec - start.tv_sec >= 2)
			return;
		/*
		 * Until this host's next second; once this host is past t
		 * (the server's clock behind it), a little at a time.
		 */
		nap.tv_sec = 0;
		nap.tv_nsec = (long long)now.tv_sec > t ? 20000000L :
		    1000000000L - now.tv_nsec + 1000000L;
		if (nap.tv_nsec >= 1000000000L)
			nap.tv_nsec = 999999999L;
		nanosleep(&nap, NULL);
	}
}

/*
 * One line of f into buf (size n), without its newline (or CR LF): 0, or
 * -1 if there is none, it holds a NUL, or it does not fit.
 */
static int
read_line(FILE *f, char *buf, size_t n)
{
	size_t	 len = 0;
	int	 ch;

	while ((ch = getc(f)) != EOF && ch != '\n') {
		if (ch == '\0' || len + 1 >= n)
			return -1;
		buf[len++] = (char)ch;
	}
	if (ch == EOF && (len == 0 || ferror(f)))
		return -1;
	if (len > 0 && buf[len - 1] == '\r')
		len--;
	buf[len] = '\0';
	return 0;
}

/* The terminal's settings while echo is off, for the signal handler. */
static struct termios	 saved_tty;
static volatile sig_atomic_t tty_quiet;

/* Interrupted at the prompt: echo back on, then die of the signal. */
static void
restore_tty(int sig)
{
	if (tty_quiet)
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_tty);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Prompt on the terminal (standard input) with echo off, into buf. */
static int
prompt(const char *what, char *buf, size_t n)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
	struct termios	 quiet;
	size_t		 i;
	int		 rc;

	fputs(what, stderr);
	fflush(stderr);
	if (tcgetattr(STDIN_FILENO, &saved_tty) == -1)
		return -1;
	quiet = saved_tty;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	quiet.c_lflag |= ECHONL;
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		signal(sigs[i], restore_tty);
	tty_quiet = 1;
	if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) == -1)
		rc = -1;
	else
		rc = read_line(stdin, buf, n);
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_tty);
	tty_quiet = 0;
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		signal(sigs[i], SIG_DFL);
	return rc;
}

char *
ctl_password(void)
{
	const char	*why = NULL;
	char		*pw, *again = NULL;

	if ((pw = calloc(1, PASSWORD_MAX + 2)) == NULL) {
		ctl_fail("out of memory");
		return NULL;
	}
	/* Unbuffered: no copy of the password left in stdio's buffer. */
	setvbuf(stdin, NULL, _IONBF, 0);
	if (isatty(STDIN_FILENO)) {
		if ((again = calloc(1, PASSWORD_MAX + 2)) == NULL ||
		    prompt("Password: ", pw, PASSWORD_MAX + 2) == -1 ||
		    prompt("Password (again): ", again, PASSWORD_MAX + 2) ==
		    -1)
			why = "no password read";
		else if (strcmp(pw, again) != 0)
			why = "the two passwords differ";
		ctl_password_free(again);
	} else if (read_line(stdin, pw, PASSWORD_MAX + 2) == -1 ||
	    strlen(pw) > PASSWORD_MAX)
		why = "no password on standard input (one line of at most "
		    "4096 bytes, no NUL)";
	if (why == NULL && text_length(pw, strlen(pw)) < 0)
		why = "the password is not UTF-8";
	if (why != NULL) {
		ctl_fail("%s", why);
		ctl_password_free(pw);
		return NULL;
	}
	return pw;
}

void
ctl_password_free(char *pw)
{
	if (pw != NULL) {
		crypto_cleanse(pw, PASSWORD_MAX + 2);
		free(pw);
	}
}
