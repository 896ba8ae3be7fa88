/*
 * authctl: the operator's command-line tool, on the same library as the
 * endpoints.  One file per group of commands; this header is what they
 * share.  Exit codes: CTL_OK, CTL_FAILED, CTL_USAGE.
 */
#ifndef AUTHCTL_H
#define AUTHCTL_H

#include <cJSON.h>

#include "app.h"
#include "auth.h"

#define CTL_OK		0
#define CTL_FAILED	1	/* the operation failed (said on stderr) */
#define CTL_USAGE	2	/* bad command line */

struct user;

/* One run of authctl: the settings, the database and the command line. */
struct ctl {
	struct app	 app;		/* app.cf the settings, app.db open */
	char		**args;		/* the command's operands */
	int		 nargs;
	int		 json;		/* --json */
	int		 dry_run;	/* --dry-run */
	int		 skip_unsupported;	/* --skip-unsupported */
	long long	 grace;		/* --grace SECONDS, else 0 */
	const char	*user;		/* --user USER, else NULL */
	long long	 since;		/* --since TIME, else 0 */
};

/* The commands (user.c, ops.c, import.c); each returns an exit code. */
int	cmd_user_add(struct ctl *c);
int	cmd_user_list(struct ctl *c);
int	cmd_user_show(struct ctl *c);
int	cmd_user_passwd(struct ctl *c);
int	cmd_user_disable(struct ctl *c);
int	cmd_user_enable(struct ctl *c);
int	cmd_user_delete(struct ctl *c);
int	cmd_revoke(struct ctl *c);
int	cmd_import_django(struct ctl *c);
int	cmd_secret_rotate(struct ctl *c);
int	cmd_secret_show_source(struct ctl *c);
int	cmd_purge(struct ctl *c);
int	cmd_stats(struct ctl *c);
int	cmd_check(struct ctl *c);
int	cmd_events(struct ctl *c);
int	cmd_copy_to(struct ctl *c);

/*
 * Run op (a change to user id) and record event for it in the audit log,
 * in one transaction; op's result (1 done, 0 no such user, -1 error).
 */
int	ctl_change(struct ctl *c, const char *event, long long id,
	    const char *detail, int (*op)(struct db *, long long, long long *),
	    long long *arg);

/*
 * Open the database of the settings (AUTH_DB) with db_open's mode, or a
 * private empty one in memory when memory is non-zero.  Returns CTL_OK or
 * CTL_FAILED (said).  main does it for every command but import-django,
 * which reads its file first.
 */
int	ctl_open(struct ctl *c, int mode, int memory);

/* Print "authctl: " and the message to stderr; returns CTL_FAILED. */
int	ctl_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Say on stderr why an endpoint-rule operation (auth_add_user,
 * auth_set_password) did not do it: its verdict v and reasons why (one
 * per line); returns CTL_FAILED.
 */
int	ctl_refused(enum auth_verdict v, const char *why);

/*
 * s as it may be printed to the operator's terminal (text_visible: what
 * is not printable escaped visibly).  The string lives until the eighth
 * call after this one, enough for one line of output; "?" without memory.
 */
const char *ctl_visible(const char *s);

/*
 * What n users whose password hashes cost more than AUTH_PBKDF2_ITERATIONS
 * (configured), the costliest max iterations, mean and what to set, into
 * buf (size len): import-django and check say it.
 */
void	ctl_costlier(char *buf, size_t len, long n, unsigned long max,
	    unsigned long configured);

/*
 * "YYYY-MM-DD[T ]HH:MM[:SS[.fff]][Z|+HH|+HH:MM|+HHMM]", as dumpdata,
 * sqlite3 and psql write Django's times (and authctl events --since
 * takes them): 0 with *t, or -1.  A time without an offset is UTC
 * (Django's USE_TZ); a fraction is dropped.
 */
int	ctl_parse_time(const char *s, long long *t);

/* A user id as text, living as ctl_visible's strings do. */
const char *ctl_id(long long id);

/* A Unix time as ISO 8601 UTC ("2026-11-26T01:02:03Z") into buf[32]. */
const char *ctl_time(long long t, char buf[32]);

/*
 * A whole number of decimal digits (no sign, no space) from min to max:
 * 0 with *v set, or -1.
 */
int	ctl_number(const char *s, long long min, long long max, long long *v);

/* Print a cJSON document made by the caller, then delete it: 0 or -1. */
int	ctl_print_json(cJSON *doc);

/*
 * A listing (user list, events): lines, or with --json one array
 * streamed to stdout an element at a time, so that a large table needs
 * no large memory.  ctl_json_item prints o (NULL: out of memory) after
 * the *n printed before it and deletes it, 0 or -1; ctl_json_end closes
 * the array of n elements.
 */
struct ctl_list {
	int	 json;	/* --json */
	int	 n;	/* rows printed */
};

int	ctl_json_item(cJSON *o, int *n);
void	ctl_json_end(int n);

/*
 * Find the user named by arg, as login does (an "@" means an email,
 * else a username, case-insensitively).  Returns CTL_OK with u filled, or
 * CTL_FAILED (said).  The caller frees u with db_user_free.
 */
int	ctl_find_user(struct ctl *c, const char *arg, struct user *u);

/*
 * Wait until the storage's clock (db_now) has passed second t, so that a
 * token issued after authctl returns carries an iat later than a
 * revocation made at t.
 */
void	ctl_next_second(struct db *db, long long t);

/* Read a password: prompted twice without echo on a terminal, else one
 * line of stdin.  Returns a string to free with ctl_password_free, or
 * NULL (said). */
char	*ctl_password(void);
void	ctl_password_free(char *pw);

#endif
