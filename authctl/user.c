/*
 * authctl user ... and authctl revoke: one user at a time, each change one
 * transaction, on the endpoints' own rules (common/auth.c).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cJSON.h>

#include "auth.h"
#include "authctl.h"
#include "db.h"
#include "pw.h"
#include "text.h"

int
cmd_user_add(struct ctl *c)
{
	struct account	 a;
	struct user	 u;
	enum auth_verdict v;
	char		*pw, why[AUTH_WHY_MAX];
	long long	 id = 0;
	int		 i;

	for (i = 0; i < 2; i++)
		if (text_length(c->args[i], strlen(c->args[i])) < 0)
			return ctl_fail("%s: not UTF-8",
			    ctl_visible(c->args[i]));
	if ((pw = ctl_password()) == NULL)
		return CTL_FAILED;
	a.username = c->args[0];
	a.email = c->args[1];
	a.password = pw;
	v = auth_add_user(&c->app, &a, &id, why);
	ctl_password_free(pw);
	if (v != AUTH_DONE)
		return ctl_refused(v, why);
	/* The name as stored (stripped, NFKC), which is the one to log in with. */
	if (db_user_by_id(c->app.db, id, &u) == 1)
		printf("user %lld created: %s\n", id, ctl_visible(u.username));
	else
		printf("user %lld created\n", id);
	db_user_free(&u);
	return CTL_OK;
}

/* A user as JSON, as user list --json and user show --json print it. */
static cJSON *
user_json(const struct user *u)
{
	char	 t[32];
	cJSON	*o = cJSON_CreateObject();

	if (o == NULL ||
	    cJSON_AddNumberToObject(o, "id", (double)u->id) == NULL ||
	    cJSON_AddStringToObject(o, "username", u->username) == NULL ||
	    cJSON_AddStringToObject(o, "email", u->email) == NULL ||
	    cJSON_AddBoolToObject(o, "is_active", u->is_active) == NULL ||
	    cJSON_AddStringToObject(o, "date_joined",
	    ctl_time(u->date_joined, t)) == NULL ||
	    (u->last_login != 0 ? cJSON_AddStringToObject(o, "last_login",
	    ctl_time(u->last_login, t)) : cJSON_AddNullToObject(o,
	    "last_login")) == NULL ||
	    (u->tokens_valid_after != 0 ? cJSON_AddStringToObject(o,
	    "tokens_revoked_until", ctl_time(u->tokens_valid_after, t)) :
	    cJSON_AddNullToObject(o, "tokens_revoked_until")) == NULL ||
	    cJSON_AddBoolToObject(o, "password_usable",
	    pw_usable(u->password)) == NULL) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

/*
 * One user of user list.  --json is one array, printed element by
 * element (each by cJSON) so that a large table needs no large memory.
 */
static int
list_one(const struct user *u, void *arg)
{
	struct ctl_list	*l = arg;
	char		 t1[32], t2[32];

	if (!l->json) {
		/* A tab or an escape in a name must not shift the columns. */
		printf("%lld\t%s\t%s\t%s\t%s\t%s\n", u->id,
		    ctl_visible(u->username), ctl_visible(u->email),
		    u->is_active ? "yes" : "no",
		    ctl_time(u->date_joined, t1),
		    u->last_login != 0 ? ctl_time(u->last_login, t2) : "-");
		l->n++;
		return 0;
	}
	return ctl_json_item(user_json(u), &l->n);
}

int
cmd_user_list(struct ctl *c)
{
	struct ctl_list	 l = { c->json, 0 };

	if (!c->json)
		printf("id\tusername\temail\tactive\tdate_joined\tlast_login\n");
	if (db_user_each(c->app.db, list_one, &l) == -1) {
		if (l.json && l.n > 0)
			printf("\n");
		return ctl_fail("listing the users failed (see above)");
	}
	if (c->json)
		ctl_json_end(l.n);
	return CTL_OK;
}

int
cmd_user_show(struct ctl *c)
{
	struct user	 u;
	char		 t[32];
	int		 rc;

	if ((rc = ctl_find_user(c, c->args[0], &u)) != CTL_OK)
		return rc;
	if (c->json)
		rc = ctl_print_json(user_json(&u)) == 0 ? CTL_OK : CTL_FAILED;
	else {
		printf("id: %lld\nusername: %s\nemail: %s\nactive: %s\n",
		    u.id, ctl_visible(u.username), ctl_visible(u.email),
		    u.is_active ? "yes" : "no");
		printf("date_joined: %s\n", ctl_time(u.date_joined, t));
		printf("last_login: %s\n", u.last_login != 0 ?
		    ctl_time(u.last_login, t) : "-");
		printf("tokens_revoked_until: %s\n", u.tokens_valid_after != 0 ?
		    ctl_time(u.tokens_valid_after, t) : "-");
		/* SPEC "Account endpoints": social-only accounts. */
		printf("password: %s\n", pw_usable(u.password) ? "usable" :
		    "unusable (no login by password; email and password "
		    "changes refused; user passwd gives one)");
	}
	db_user_free(&u);
	return rc;
}

int
cmd_user_passwd(struct ctl *c)
{
	struct user	 u;
	enum auth_verdict v;
	char		*pw, why[AUTH_WHY_MAX];
	long long	 revoked = 0;
	int		 rc;

	if ((rc = ctl_find_user(c, c->args[0], &u)) != CTL_OK)
		return rc;
	if ((pw = ctl_password()) == NULL)
		rc = CTL_FAILED;
	else if ((v = auth_set_password(&c->app, &u, pw, &revoked, why)) !=
	    AUTH_DONE)
		rc = ctl_refused(v, why);
	else {
		ctl_next_second(c->app.db, revoked);
		printf("password of %s (id %lld) changed; tokens issued "
		    "before now are revoked\n", ctl_visible(u.username), u.id);
	}
	ctl_password_free(pw);
	db_user_free(&u);
	return rc;
}

/* The user of c->args[0], changed by op: exit code; said what happened. */
static int
change(struct ctl *c, const char *event, const char *done,
    int (*op)(struct db *, long long, long long *), long long *arg)
{
	struct user	 u;
	int		 rc;

	if ((rc = ctl_find_user(c, c->args[0], &u)) != CTL_OK)
		return rc;
	/*
	 * The username as stored, for who reads the log after a delete
	 * (authctl events makes it visible when it prints it).
	 */
	switch (ctl_change(c, event, u.id, u.username, op, arg)) {
	case 1:
		printf("%s (id %lld) %s\n", ctl_visible(u.username), u.id,
		    done);
		break;
	case 0:		/* gone between the lookup and the change */
		rc = ctl_fail("no user %s", ctl_visible(c->args[0]));
		break;
	default:
		rc = ctl_fail("failed (see above)");
		break;
	}
	db_user_free(&u);
	return rc;
}

static int
disable(struct db *db, long long id, long long *unused)
{
	(void)unused;
	return db_user_active(db, id, 0);
}

static int
enable(struct db *db, long long id, long long *unused)
{
	(void)unused;
	return db_user_active(db, id, 1);
}

static int
remove_user(struct db *db, long long id, long long *unused)
{
	(void)unused;
	return db_user_delete(db, id, NULL);
}

int
cmd_user_disable(struct ctl *c)
{
	return change(c, "disable", "disabled", disable, NULL);
}

int
cmd_user_enable(struct ctl *c)
{
	return change(c, "enable", "enabled", enable, NULL);
}

int
cmd_user_delete(struct ctl *c)
{
	return change(c, "delete", "deleted", remove_user, NULL);
}

int
cmd_revoke(struct ctl *c)
{
	long long	 at = 0;
	int		 rc;

	rc = change(c, "revoke", "has had every token issued until now revoked",
	    db_user_revoke, &at);
	if (rc == CTL_OK)
		ctl_next_second(c->app.db, at);
	return rc;
}
