/*
 * The account endpoints the original grew after the seed's four (SPEC
 * "Account endpoints"): PATCH me/email, PUT me/password, DELETE me.  Each
 * checks the bearer token first (its 401), then reads the body.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cJSON.h>

#include "auth.h"
#include "cgi.h"
#include "crypto.h"
#include "db.h"
#include "key.h"
#include "names.h"
#include "policy.h"
#include "pw.h"
#include "rate.h"
#include "session.h"
#include "slot.h"
#include "text.h"
#include "valid.h"

#define MSG_SOCIAL_EMAIL "Social login accounts cannot change their email " \
			"address."
#define MSG_SOCIAL_PW	"Social login accounts cannot change their password."
#define MSG_EMAIL	"Provide a valid email address."
#define MSG_SAME_EMAIL	"This is already your current email address."
#define MSG_ETAKEN	"Email already exists."
#define MSG_CURRENT	"Current password is incorrect."
#define MSG_MISMATCH	"New passwords do not match."
#define MSG_REQUIRED	"Password is required."
#define MSG_INCORRECT	"Incorrect password."
#define MSG_CONFIRM	"Send confirm_text set to 'DELETE' to delete your " \
			"account."

/*
 * The request's user (its bearer token: 401 first, as GET me), then its
 * body against n fields into v: 200, or the status to answer.
 */
static int
user_and_body(struct req *rq, struct app *app, const struct field *f,
    size_t n, const char **v, struct user *u, cJSON **out)
{
	int	 st;

	if ((st = auth_user(rq, app, u)) != 200 ||
	    (st = cgi_read_json(rq)) != 200)		/* 413, 400 */
		return st;
	return valid_body(rq->in, f, n, v, out);	/* 422 */
}

/*
 * Store u's new address and its key, with the "email_changed" event (old
 * and new address), in one transaction: as db_user_email.
 */
static int
email_change(struct db *db, struct req *rq, struct app *app,
    const struct user *u, const char *email, const char *key,
    enum db_taken *taken)
{
	char	 client[CLIENT_KEY_MAX], *detail;
	size_t	 n = strlen(u->email) + strlen(email) + 8;
	int	 rc;

	if ((detail = malloc(n)) == NULL) {
		fprintf(stderr, "me/email: out of memory\n");
		return -1;
	}
	snprintf(detail, n, "%s -> %s", u->email, email);
	rate_client(&app->cf, rq, client);
	if (db_begin(db) == -1) {
		free(detail);
		return -1;
	}
	if ((rc = db_user_email(db, u->id, email, key, taken)) == 1 &&
	    *taken == DB_FREE && db_event(db, time(NULL), "email_changed",
	    u->id, client, detail) == -1)
		rc = -1;
	if (db_end(db, rc != 1 || *taken != DB_FREE) == -1)
		rc = -1;
	free(detail);
	return rc;
}

int
auth_me_email(struct req *rq, struct app *app, const cJSON *in, cJSON **out)
{
	static const struct field fields[] = {
		{ "email", 3, 254, FIELD_STRING },
	};
	const char	*v[1];
	struct db	*db;
	struct user	 u;
	enum db_taken	 taken;
	char		*email = NULL, *key = NULL, *current = NULL;
	int		 st, rc;

	(void)in;	/* read here, after the bearer token */
	if ((st = user_and_body(rq, app, fields, 1, v, &u, out)) != 200)
		goto out;
	/* Checked first, as the original does. */
	if (!pw_usable(u.password)) {
		st = cgi_error(403, MSG_SOCIAL_EMAIL, out);
		goto out;
	}
	/* Stripped and lowercased as register does, and keyed alike. */
	st = 500;
	if ((email = names_stored(NAMES_EMAIL, v[0])) == NULL ||
	    (key = names_key(NAMES_EMAIL, email)) == NULL ||
	    (current = names_key(NAMES_EMAIL, u.email)) == NULL) {
		fprintf(stderr, "me/email: out of memory\n");
		goto out;
	}
	if (!valid_email(email))
		st = cgi_error(400, MSG_EMAIL, out);
	else if (strcmp(key, current) == 0)
		st = cgi_error(400, MSG_SAME_EMAIL, out);
	else if ((db = app_db(app)) == NULL ||
	    (rc = email_change(db, rq, app, &u, email, key, &taken)) == -1)
		st = 503;
	else if (taken != DB_FREE)	/* a concurrent change won */
		st = cgi_error(400, MSG_ETAKEN, out);
	else if (rc == 0)	/* deleted meanwhile */
		st = 401;
	else {
		free(u.email);
		u.email = email;
		email = NULL;
		st = auth_profile(&u, 200, out);
	}
out:
	free(email);
	free(key);
	free(current);
	db_user_free(&u);
	return st;
}

/*
 * Store hash as u's password in place of the one verified, revoke every
 * token issued before now and answer a fresh pair, all in one transaction
 * whose second is read under the write lock (and taken again if the clock
 * turned before the commit, as authctl's revocations do).  The second is
 * the storage's (db_now): with PostgreSQL, one clock for every host, as
 * the revocations the database makes itself.  Sets *out to the success's
 * body.  Returns 200, 400 (a concurrent change won), 500 or 503.
 */
static int
change_password(struct app *app, const struct user *u, const char *hash,
    const char *client, cJSON **out)
{
	const char	*expect = u->password;
	struct db	*db = app->db;
	struct key	 k;
	long long	 now, again;
	int		 st, rc;

	if ((st = key_load(db, &app->cf, &k)) != 200)
		return st;
	do {
		cJSON_Delete(*out);
		if ((*out = cgi_note("Password changed successfully.")) == NULL) {
			st = 500;
			break;
		}
		if (db_begin(db) == -1) {
			st = 503;
			break;
		}
		if ((now = db_now(db)) == -1)
			st = 503;
		else if ((rc = db_user_swap_password(db, u->id, expect, hash,
		    now)) == 1)
			st = session_issue(db, &k, &app->cf, u->id, now, 1, 1,
			    *out);
		else
			st = rc == 0 ? 400 : 503;
		/* Once per change, however often the clock made us retry. */
		if (st == 200 && expect != hash && db_event(db, now,
		    "password_changed", u->id, client, NULL) == -1)
			st = 503;
		if (db_end(db, st != 200) == -1 && st == 200)
			st = 503;
		/* Once stored, it is the password to expect. */
		expect = hash;
		/*
		 * A clock that cannot be read after the commit (logged)
		 * ends it: the change stands, as does the pair signed with it.
		 */
	} while (st == 200 && (again = db_now(db)) != -1 && again != now);
	key_free(&k);
	if (st != 200) {
		cJSON_Delete(*out);
		*out = NULL;
		if (st == 400)
			st = cgi_error(400, MSG_CURRENT, out);
	}
	return st;
}

int
auth_me_password(struct req *rq, struct app *app, const cJSON *in,
    cJSON **out)
{
	static const struct field fields[] = {
		{ "current_password", 1, 128, FIELD_STRING },
		{ "new_password", 8, 128, FIELD_STRING },
		{ "new_password_confirm", 8, 128, FIELD_STRING },
	};
	const struct conf *cf = &app->cf;
	const char	*v[3], *msg;
	struct slot	 slot = { -1 };
	struct user	 u;
	enum pw_verdict	 verdict;
	unsigned long	 iterations;
	char		 hash[PW_HASH_MAX], client[CLIENT_KEY_MAX];
	int		 st;

	(void)in;	/* read here, after the bearer token */
	memset(hash, 0, sizeof(hash));
	if ((st = user_and_body(rq, app, fields, 3, v, &u, out)) != 200 ||
	    (st = rate_hit(app->db, cf, RATE_PASSWORD, rq, time(NULL),
	    out)) != 200)
		goto out;
	if (!pw_usable(u.password)) {
		st = cgi_error(403, MSG_SOCIAL_PW, out);
		goto out;
	}
	/* One hash of the stored cost, under a slot, as login's. */
	if ((st = auth_check_password(cf, v[0], &u, 0, &slot, &verdict,
	    &iterations)) != 200)
		goto out;
	if (verdict != PW_OK) {
		st = cgi_error(400, MSG_CURRENT, out);
		goto out;
	}
	if (strcmp(v[1], v[2]) != 0) {
		st = cgi_error(400, MSG_MISMATCH, out);
		goto out;
	}
	st = 500;
	if (policy_ready() == -1)	/* libzxcvbn missing: logged */
		goto out;
	if ((msg = policy_check(v[1], u.username, u.email,
	    cf->min_entropy)) != NULL) {
		st = cgi_error(400, msg, out);
		goto out;
	}
	if (pw_hash(v[1], strlen(v[1]), cf->iterations, hash) == -1)
		goto out;
	slot_give(&slot);
	rate_client(cf, rq, client);
	st = change_password(app, &u, hash, client, out);
out:
	slot_give(&slot);
	crypto_cleanse(hash, sizeof(hash));
	db_user_free(&u);
	return st;
}

int
auth_me_delete(struct req *rq, struct app *app, const cJSON *in,
    cJSON **out)
{
	/* Both optional: a body that is not an object reads as {}. */
	static const struct field fields[] = {
		{ "password", 0, 128, FIELD_OPTIONAL },
		{ "confirm_text", 0, 10, FIELD_OPTIONAL },
	};
	const char	*v[2];
	struct slot	 slot = { -1 };
	struct user	 u, again;
	enum pw_verdict	 verdict;
	unsigned long	 iterations;
	char		 client[CLIENT_KEY_MAX];
	size_t		 start, len;
	int		 st, rc;

	(void)in;	/* read here, after the bearer token */
	memset(&again, 0, sizeof(again));
	if ((st = user_and_body(rq, app, fields, 2, v, &u, out)) != 200 ||
	    (st = rate_hit(app->db, &app->cf, RATE_PASSWORD, rq, time(NULL),
	    out)) != 200)
		goto out;
	if (pw_usable(u.password)) {
		if (v[0] == NULL || *v[0] == '\0') {
			st = cgi_error(400, MSG_REQUIRED, out);
			goto out;
		}
		if ((st = auth_check_password(&app->cf, v[0], &u, 0, &slot,
		    &verdict, &iterations)) != 200)
			goto out;
		slot_give(&slot);
		if (verdict != PW_OK) {
			st = cgi_error(400, MSG_INCORRECT, out);
			goto out;
		}
	} else {
		/* Without a usable password: confirm_text, stripped. */
		len = v[1] != NULL ? text_strip(v[1], &start) : 0;
		if (v[1] == NULL || len != 6 ||
		    memcmp(v[1] + start, "DELETE", 6) != 0) {
			st = cgi_error(400, MSG_CONFIRM, out);
			goto out;
		}
	}
	/* Only if the password is still the one verified. */
	rate_client(&app->cf, rq, client);
	if ((rc = db_begin(app->db)) == 0) {
		if ((rc = db_user_delete(app->db, u.id, u.password)) == 1 &&
		    db_event(app->db, time(NULL), "account_deleted", u.id,
		    client, u.username) == -1)
			rc = -1;
		if (db_end(app->db, rc != 1) == -1)
			rc = -1;
	}
	if (rc == -1)
		st = 503;
	else if (rc == 1)
		st = (*out = cgi_note("Account deleted successfully.")) ==
		    NULL ? 500 : 200;
	else if ((rc = db_user_by_id(app->db, u.id, &again)) == -1)
		st = 503;
	else	/* changed meanwhile: the password was not it; or gone */
		st = rc == 1 ? cgi_error(400, MSG_INCORRECT, out) : 401;
out:
	slot_give(&slot);
	db_user_free(&again);
	db_user_free(&u);
	return st;
}
