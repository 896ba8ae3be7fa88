/*
 * db.c on its private in-memory database: every function of db.h, the
 * verdicts of a duplicate, transactions that roll back, and housekeeping.
 *
 * Built with make DB=postgresql and given CORNERS_AUTH_TEST_PG, the URI
 * of an empty database whose role is no superuser (db_check says so) and
 * may create schemas in it, the same cases run on PostgreSQL, then what
 * only PostgreSQL has: several processes at once (migrations, the first
 * key, the counters, a registration race), ids after an import, the
 * server's clock, a connection lost and made again, and the 5 s deadline
 * against servers that never answer.  Those last (and the password kept
 * out of the log) need no server and run whenever WITH_PG is built.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "unit.h"

#ifdef WITH_PG
#include "test-db-pg.h"
#endif

#define HASH	"pbkdf2_sha256$1000$713P6a4S8qgiEX0W6mX8QM" \
		"$cI3g13kaAWUbjy5a9PQin2UeRHzFz4ysJJcom8yxbWQ="

/* The signing key, made on first use, and rotation with a grace. */
static void
test_keys(struct db *db)
{
	unsigned char	 buf[64];
	size_t		 len = sizeof(buf);
	long long	 until = 0;

	struct user	 u;

	ASSERT(db_secret_get(db, buf, &len) == 0);
	/* None yet: db_user_with_key says so (and there is no user 1). */
	len = sizeof(buf);
	ASSERT(db_user_with_key(db, 1, &u, buf, &len) == 0 && len == 0);
	ASSERT(db_secret_put(db, (const unsigned char *)"first-key", 9) == 0);
	len = sizeof(buf);
	ASSERT(db_user_with_key(db, 1, &u, buf, &len) == 0 && len == 9 &&
	    memcmp(buf, "first-key", 9) == 0);
	len = 4;
	ASSERT(db_user_with_key(db, 1, &u, buf, &len) == -1);
	/* The first writer wins: a concurrent first request's key stays. */
	ASSERT(db_secret_put(db, (const unsigned char *)"second-key", 10) == 0);
	len = sizeof(buf);
	ASSERT(db_secret_get(db, buf, &len) == 1 && len == 9 &&
	    memcmp(buf, "first-key", 9) == 0);
	len = 4;	/* a key larger than the room is an error, not cut */
	ASSERT(db_secret_get(db, buf, &len) == -1);

	ASSERT(db_secret_rotate(db, (const unsigned char *)"rotated", 7,
	    2000) == 1);
	len = sizeof(buf);
	ASSERT(db_secret_get(db, buf, &len) == 1 && len == 7 &&
	    memcmp(buf, "rotated", 7) == 0);
	len = sizeof(buf);
	ASSERT(db_secret_previous(db, buf, &len, &until) == 1 && len == 9 &&
	    memcmp(buf, "first-key", 9) == 0 && until == 2000);
	/* Without a grace the previous key is dropped at once. */
	ASSERT(db_secret_rotate(db, (const unsigned char *)"third", 5, 0) == 1);
	len = sizeof(buf);
	ASSERT(db_secret_previous(db, buf, &len, &until) == 0);
}

/* The attempt counter: exact counts per scope, client and window. */
static void
test_attempts(struct db *db)
{
	long long	 n = 0;
	int		 i;

	for (i = 1; i <= 3; i++)
		ASSERT(db_attempt(db, 1, "192.0.2.1", 100, 3000, &n) == 0 &&
		    n == i);
	ASSERT(db_attempt(db, 2, "192.0.2.1", 100, 3000, &n) == 0 && n == 1);
	ASSERT(db_attempt(db, 1, "2001:db8::/64", 100, 3000, &n) == 0 &&
	    n == 1);
	/* A new window starts at one, and the old windows go. */
	ASSERT(db_attempt(db, 1, "192.0.2.1", 101, 3030, &n) == 0 && n == 1);
}

static int
count_users(const struct user *u, void *arg)
{
	long long	*last = arg;

	if (u->id <= last[0])	/* in id order */
		last[1] = -1;
	last[0] = u->id;
	if (last[1] >= 0)
		last[1]++;
	return 0;
}

/* Users: adding with the unique keys' verdicts, changes, deletion. */
static void
test_users(struct db *db)
{
	struct user	 u, got;
	enum db_taken	 taken = DB_DELETED_ID;
	long long	 jane = 0, id = 0, at = 0, seen[2] = { 0, 0 };
	long long	 now = (long long)time(NULL);

	memset(&u, 0, sizeof(u));
	u.username = "Jane";
	u.email = "jane@example.com";
	u.password = HASH;
	ASSERT(db_user_add(db, &u, "jane", "jane@example.com", 1000, &jane,
	    &taken) == 0 && taken == DB_FREE && jane > 0);
	{
		unsigned char	 key[64];
		size_t		 len = sizeof(key);

		ASSERT(db_user_with_key(db, jane, &got, key, &len) == 1 &&
		    got.id == jane && strcmp(got.username, "Jane") == 0 &&
		    strcmp(got.password, HASH) == 0 && got.is_active &&
		    len == 5 && memcmp(key, "third", 5) == 0);
		db_user_free(&got);
	}
	u.username = "JANE";
	ASSERT(db_user_add(db, &u, "jane", "other@example.com", 1000, &id,
	    &taken) == 0 && taken == DB_TAKEN_USERNAME);
	u.username = "bob";
	ASSERT(db_user_add(db, &u, "bob", "jane@example.com", 1000, &id,
	    &taken) == 0 && taken == DB_TAKEN_EMAIL);
	/* Blank emails (Django allows them) do not collide. */
	u.email = "";
	ASSERT(db_user_add(db, &u, "bob", "", 1000, &id, &taken) == 0 &&
	    taken == DB_FREE && id > jane);
	u.username = "carl";
	ASSERT(db_user_add(db, &u, "carl", "", 1000, &id, &taken) == 0 &&
	    taken == DB_FREE);

	ASSERT(db_user_by_key(db, 0, "jane", &got) == 1 && got.id == jane &&
	    strcmp(got.username, "Jane") == 0 && got.is_active &&
	    got.date_joined == 1000 && got.last_login == 0 &&
	    got.tokens_valid_after == 0);
	db_user_free(&got);
	ASSERT(db_user_by_key(db, 1, "jane@example.com", &got) == 1 &&
	    got.id == jane);
	db_user_free(&got);
	ASSERT(db_user_by_key(db, 1, "", &got) == 0);	/* blank: nobody */
	ASSERT(db_user_by_id(db, 999999, &got) == 0);

	ASSERT(db_user_login(db, jane, 2000, HASH, NULL, NULL) == 0);
	ASSERT(db_user_by_id(db, jane, &got) == 1 && got.last_login == 2000 &&
	    strcmp(got.password, HASH) == 0);
	db_user_free(&got);
	ASSERT(db_user_login(db, jane, 2001, HASH, "pbkdf2_sha256$2$x$y",
	    NULL) == 0);
	ASSERT(db_user_by_id(db, jane, &got) == 1 &&
	    strcmp(got.password, "pbkdf2_sha256$2$x$y") == 0);
	db_user_free(&got);
	/* A rehash of a password changed since it was checked stays out. */
	ASSERT(db_user_login(db, jane, 2001, HASH, "pbkdf2_sha256$3$x$z",
	    NULL) == 0);
	ASSERT(db_user_by_id(db, jane, &got) == 1 &&
	    strcmp(got.password, "pbkdf2_sha256$2$x$y") == 0 &&
	    got.last_login == 2001);
	db_user_free(&got);

	/* A new password revokes up to the second it was stored in. */
	ASSERT(db_user_password(db, jane, HASH, &at) == 1 && at >= now);
	ASSERT(db_user_by_id(db, jane, &got) == 1 &&
	    got.tokens_valid_after == at && strcmp(got.password, HASH) == 0);
	db_user_free(&got);
	ASSERT(db_user_revoke(db, jane, &at) == 1);
	ASSERT(db_user_revoke(db, 999999, &at) == 0);
	ASSERT(db_user_active(db, jane, 0) == 1);
	ASSERT(db_user_by_id(db, jane, &got) == 1 && !got.is_active);
	db_user_free(&got);
	ASSERT(db_user_active(db, jane, 1) == 1);
	ASSERT(db_user_active(db, 999999, 1) == 0);

	ASSERT(db_user_each(db, count_users, seen) == 0 && seen[1] == 3);

	/* A deleted id is gone for good: an import may not take it back. */
	ASSERT(db_user_delete(db, id, NULL) == 1);
	ASSERT(db_user_delete(db, id, NULL) == 0);
	u.id = id;
	u.username = "mallory";
	u.email = "mallory@example.com";
	u.is_active = 1;
	ASSERT(db_user_import(db, &u, "mallory", "mallory@example.com",
	    &taken) == 0 && taken == DB_DELETED_ID);
	ASSERT(db_user_by_key(db, 0, "mallory", &got) == 0);
}

/*
 * The account endpoints' writes: a password swapped only from the one
 * verified, a delete only with it, an email only if nobody else's.
 */
static void
test_account(struct db *db)
{
	struct user	 u, got;
	enum db_taken	 taken;
	long long	 id = 0;

	memset(&u, 0, sizeof(u));
	u.username = "dora";
	u.email = "dora@example.com";
	u.password = "old-hash";
	ASSERT(db_user_add(db, &u, "dora", "dora@example.com", 1000, &id,
	    &taken) == 0 && taken == DB_FREE);
	ASSERT(db_begin(db) == 0);
	ASSERT(db_user_swap_password(db, id, "old-hash", "new-hash", 3000) ==
	    1);
	ASSERT(db_end(db, 0) == 0);
	/* A second change from the same old password finds it gone. */
	ASSERT(db_user_swap_password(db, id, "old-hash", "other-hash", 3001) ==
	    0);
	ASSERT(db_user_by_id(db, id, &got) == 1 &&
	    strcmp(got.password, "new-hash") == 0 &&
	    got.tokens_valid_after == 3000);
	db_user_free(&got);
	ASSERT(db_user_email(db, id, "Dora@New.example", "dora@new.example",
	    &taken) == 1 && taken == DB_FREE);
	ASSERT(db_user_email(db, id, "jane@example.com", "jane@example.com",
	    &taken) == 0 && taken == DB_TAKEN_EMAIL);
	ASSERT(db_user_email(db, 999999, "x@example.com", "x@example.com",
	    &taken) == 0 && taken == DB_FREE);
	ASSERT(db_user_by_id(db, id, &got) == 1 &&
	    strcmp(got.email, "Dora@New.example") == 0);
	db_user_free(&got);
	ASSERT(db_token_put(db, "dora-jti", id, DB_TOKEN_LOGGED_OUT, 3000,
	    9000, NULL) == 0);
	ASSERT(db_user_delete(db, id, "old-hash") == 0);	/* not hers */
	ASSERT(db_user_delete(db, id, "new-hash") == 1);
	ASSERT(db_user_by_id(db, id, &got) == 0);
	/* Her remembered tokens go with her. */
	{
		struct db_token	 t;

		ASSERT(db_token_get(db, "dora-jti", &t) == 0);
	}
}

/* Tokens remembered by jti: what overrides what, and how they go. */
static void
test_tokens(struct db *db)
{
	struct db_token	 t;

	ASSERT(db_token_get(db, "jti-a", &t) == 0);
	/* Spent: the first spend's time stays (a retry learns of it). */
	ASSERT(db_token_put(db, "jti-a", 7, DB_TOKEN_SPENT, 100, 9000, &t) ==
	    0 && t.kind == DB_TOKEN_SPENT && t.at == 100 && t.user_id == 7);
	ASSERT(db_token_put(db, "jti-a", 7, DB_TOKEN_SPENT, 150, 9000, &t) ==
	    0 && t.kind == DB_TOKEN_SPENT && t.at == 100);
	/* A logout overrides it; a later spend does not undo the logout. */
	ASSERT(db_token_put(db, "jti-a", 7, DB_TOKEN_LOGGED_OUT, 160, 9000,
	    &t) == 0 && t.kind == DB_TOKEN_LOGGED_OUT && t.at == 160);
	ASSERT(db_token_put(db, "jti-a", 7, DB_TOKEN_SPENT, 170, 9000, &t) ==
	    0 && t.kind == DB_TOKEN_LOGGED_OUT);
	ASSERT(db_token_put(db, "+jti-b", 7, DB_TOKEN_FRESH, 100, 200, NULL) ==
	    0);
	ASSERT(db_token_get(db, "+jti-b", &t) == 1 && t.kind == DB_TOKEN_FRESH);
	/* A revocation makes the user's fresh tokens revoked like the rest. */
	{
		long long	 at;
		struct user	 u;
		enum db_taken	 taken;
		long long	 id;

		memset(&u, 0, sizeof(u));
		u.username = "erin";
		u.email = "erin@example.com";
		u.password = "h";
		ASSERT(db_user_add(db, &u, "erin", "erin@example.com", 1, &id,
		    &taken) == 0);
		ASSERT(db_token_put(db, "+jti-e", id, DB_TOKEN_FRESH, 100, 9000,
		    NULL) == 0);
		ASSERT(db_user_revoke(db, id, &at) == 1);
		ASSERT(db_token_get(db, "+jti-e", &t) == 0);
		ASSERT(db_token_get(db, "+jti-b", &t) == 1);	/* not erin's */
		ASSERT(db_user_delete(db, id, NULL) == 1);
	}
	/* The normal path drops expired rows as it writes: jti-b's 200. */
	ASSERT(db_token_put(db, "jti-c", 7, DB_TOKEN_LOGGED_OUT, 300, 9000,
	    NULL) == 0);
	ASSERT(db_token_get(db, "+jti-b", &t) == 0);
}

static int
count_events(const struct db_eventrow *e, void *arg)
{
	long long	*n = arg;

	(void)e;
	(*n)++;
	return 0;
}

/*
 * The login's gate: the client's counter first, then the name's, exact,
 * a known client let through at the limit, a failure noted and turned
 * into the login on success, and events purged by age.
 */
static void
test_gate(struct db *db)
{
	struct db_gate	 g;
	struct db_purged p;
	long long	 n = 0, before = 0;
	int		 i;

	ASSERT(db_events(db, 0, 0, count_events, &before) == 0);
	memset(&g, 0, sizeof(g));
	g.now = 10000;
	g.scope = 1;
	g.client = "198.51.100.7";
	g.client_bucket = 33;
	g.client_expires = 10200;
	g.client_max = 100;
	g.name = "u:someone";
	g.name_bucket = 2;
	g.name_expires = 10800;
	g.name_max = 3;
	g.user_id = 4096;
	g.known_since = 0;
	for (i = 0; i < 3; i++)
		ASSERT(db_login_gate(db, &g) == 0 && g.verdict == DB_GATE_OPEN &&
		    g.reserved && g.event_id > 0 && g.count == i + 1);
	/* At the limit: throttled, and noted so. */
	ASSERT(db_login_gate(db, &g) == 0 && g.verdict == DB_GATE_NAME &&
	    !g.reserved && g.event_id == 0);
	/* A client that logged in to it goes on (a success undoes its count). */
	g.client = "203.0.113.9";
	ASSERT(db_login_gate(db, &g) == 0 && g.verdict == DB_GATE_NAME);
	/* Known now: */
	ASSERT(db_user_login(db, 4096, 10001, NULL, NULL, &g) == 0);
	ASSERT(db_login_gate(db, &g) == 0 && g.verdict == DB_GATE_OPEN &&
	    g.reserved && g.event_id > 0);
	ASSERT(db_user_login(db, 4096, 10002, NULL, NULL, &g) == 0);
	/* Another name, an unknown one, counts apart. */
	g.name = "u:nobody";
	g.user_id = 0;
	ASSERT(db_login_gate(db, &g) == 0 && g.verdict == DB_GATE_OPEN &&
	    g.event_id == 0);
	/* The client's own limit answers first. */
	g.client_max = 1;
	ASSERT(db_login_gate(db, &g) == 0 && g.verdict == DB_GATE_CLIENT);
	/*
	 * 3 failures + 2 throttled (before the known client logged in) +
	 * 2 logins (the second one the turned failure) + 1 login without a
	 * noted failure (the first db_user_login) = 7 more events.
	 */
	ASSERT(db_events(db, 0, 0, count_events, &n) == 0 && n - before == 7);
	n = 0;
	ASSERT(db_events(db, 4096, 0, count_events, &n) == 0 && n == 7);
	n = 0;
	ASSERT(db_events(db, 4096, 10002, count_events, &n) == 0 && n == 1);
	ASSERT(db_event(db, 10003, "revoke", 4096, NULL, "x") == 0);
	ASSERT(db_purge(db, 10003, 10003, 0, &p) == 0 && p.events >= 7 &&
	    p.known == 0);
	ASSERT(db_purge(db, 20000, 0, 10001, &p) == 0 && p.known == 0 &&
	    p.names == 2);
	ASSERT(db_purge(db, 20000, 0, 10002, &p) == 0 && p.known == 1);
	n = 0;
	ASSERT(db_events(db, 0, 0, count_events, &n) == 0 && n == 1);
}

/* The last event db_events lists: its name, client and user, and a count. */
struct last_event {
	char		 event[32];
	char		 client[64];
	long long	 user_id;
	long long	 n;
};

static int
last_event(const struct db_eventrow *e, void *arg)
{
	struct last_event *l = arg;

	snprintf(l->event, sizeof(l->event), "%s", e->event);
	snprintf(l->client, sizeof(l->client), "%s", e->client);
	l->user_id = e->user_id;
	l->n++;
	return 0;
}

/* The last event of user id at or after since is event from client. */
static int
last_is(struct db *db, long long id, long long since, const char *event,
    const char *client)
{
	struct last_event l;

	memset(&l, 0, sizeof(l));
	return db_events(db, id, since, last_event, &l) == 0 && l.n > 0 &&
	    strcmp(l.event, event) == 0 && strcmp(l.client, client) == 0 &&
	    l.user_id == id;
}

/*
 * The gate's edges (SPEC "Per-account throttle", "Audit log"): at the
 * limit a known client's wrong password is let through, counted and noted
 * as login_failed, and a throttled one noted as login_throttled with its
 * client; the throttle off counts nothing (a failure is still noted); a
 * client not seen since known_since is a fresh one, and purge forgets it;
 * purge takes the ended name windows only; a new window counts afresh.
 */
static void
test_gate_edges(struct db *db)
{
	struct db_gate	 g, h, off;
	struct db_purged p;
	int		 i;

	memset(&g, 0, sizeof(g));
	g.now = 50000;
	g.scope = 1;
	g.client = "192.0.2.1";
	g.client_bucket = 166;
	g.client_expires = 50100;
	g.client_max = 1000;
	g.name = "u:edge";
	g.name_bucket = 12;
	g.name_expires = 50400;
	g.name_max = 2;
	g.user_id = 5000;
	g.known_since = 40000;
	/* The owner's client logs in below the limit: known from now on. */
	ASSERT(db_login_gate(db, &g) == 0 && g.verdict == DB_GATE_OPEN &&
	    g.reserved && g.event_id > 0);
	ASSERT(db_user_login(db, 5000, 50000, NULL, NULL, &g) == 0);
	ASSERT(last_is(db, 5000, 50000, "login", "192.0.2.1"));
	/* Two failures from another client reach the limit (the login undone). */
	h = g;
	h.client = "192.0.2.2";
	for (i = 0; i < 2; i++)
		ASSERT(db_login_gate(db, &h) == 0 &&
		    h.verdict == DB_GATE_OPEN && h.reserved);
	ASSERT(last_is(db, 5000, 50000, "login_failed", "192.0.2.2"));
	ASSERT(db_login_gate(db, &h) == 0 && h.verdict == DB_GATE_NAME &&
	    !h.reserved && h.event_id == 0);
	ASSERT(last_is(db, 5000, 50000, "login_throttled", "192.0.2.2"));
	/* The known client at the limit: through, counted, noted. */
	ASSERT(db_login_gate(db, &g) == 0 && g.verdict == DB_GATE_OPEN &&
	    g.reserved && g.event_id > 0);
	ASSERT(last_is(db, 5000, 50000, "login_failed", "192.0.2.1"));
	/* Its right password: the noted failure becomes the login. */
	ASSERT(db_login_gate(db, &g) == 0 && g.verdict == DB_GATE_OPEN &&
	    g.reserved);
	ASSERT(db_user_login(db, 5000, 50001, NULL, NULL, &g) == 0);
	ASSERT(last_is(db, 5000, 50001, "login", "192.0.2.1"));
	/* Not seen since known_since: a fresh client. */
	g.known_since = 50002;
	ASSERT(db_login_gate(db, &g) == 0 && g.verdict == DB_GATE_NAME);
	g.known_since = 40000;
	/* Another name is counted apart. */
	h.name = "e:edge@example.com";
	ASSERT(db_login_gate(db, &h) == 0 && h.verdict == DB_GATE_OPEN &&
	    h.reserved);
	/* The throttle off: nothing counted, the failure still noted. */
	off = h;
	off.name = "u:off";
	off.name_max = 0;
	off.name_bucket = 0;
	off.name_expires = 0;
	for (i = 0; i < 5; i++)
		ASSERT(db_login_gate(db, &off) == 0 &&
		    off.verdict == DB_GATE_OPEN && !off.reserved &&
		    off.event_id > 0);
	off.user_id = 0;
	ASSERT(db_login_gate(db, &off) == 0 && off.verdict == DB_GATE_OPEN &&
	    off.event_id == 0);
	/* Nothing ended yet: purge keeps every window and the known client. */
	ASSERT(db_purge(db, 50399, 0, 40000, &p) == 0 && p.names == 0 &&
	    p.known == 0);
	/* Ended: u:edge and e:edge@... (not u:off: never counted). */
	ASSERT(db_purge(db, 50400, 0, 50001, &p) == 0 && p.names == 2 &&
	    p.known == 1);
	/* The known client forgotten; a new window counts afresh. */
	g.now = 50400;
	g.name_bucket = 13;
	g.name_expires = 50800;
	g.name_max = 1;
	ASSERT(db_login_gate(db, &g) == 0 && g.verdict == DB_GATE_OPEN &&
	    g.reserved);
	ASSERT(db_login_gate(db, &g) == 0 && g.verdict == DB_GATE_NAME);
}

/* Import: the verdicts in the order the report gives them, and all or none. */
static void
test_import(struct db *db)
{
	struct user	 u, got;
	enum db_taken	 taken;

	memset(&u, 0, sizeof(u));
	u.id = 4096;
	u.username = "Imported";
	u.email = "imported@example.com";
	u.password = HASH;
	u.is_active = 0;
	u.date_joined = 1500000000;
	u.last_login = 1600000000;
	ASSERT(db_user_import(db, &u, "imported", "imported@example.com",
	    &taken) == 0 && taken == DB_FREE);
	ASSERT(db_user_by_id(db, 4096, &got) == 1 && !got.is_active &&
	    got.date_joined == 1500000000 && got.last_login == 1600000000);
	db_user_free(&got);
	ASSERT(db_user_import(db, &u, "someone", "someone@example.com",
	    &taken) == 0 && taken == DB_TAKEN_ID);
	u.id = 4097;
	ASSERT(db_user_import(db, &u, "imported", "new@example.com",
	    &taken) == 0 && taken == DB_TAKEN_USERNAME);
	ASSERT(db_user_import(db, &u, "newname", "imported@example.com",
	    &taken) == 0 && taken == DB_TAKEN_EMAIL);

	/* Inside db_begin, nothing stays unless db_end commits. */
	ASSERT(db_begin(db) == 0);
	ASSERT(db_user_import(db, &u, "rolledback", "rolledback@example.com",
	    &taken) == 0 && taken == DB_FREE);
	ASSERT(db_end(db, 1) == 0);
	ASSERT(db_user_by_id(db, 4097, &got) == 0);
	ASSERT(db_begin(db) == 0);
	ASSERT(db_user_import(db, &u, "kept", "kept@example.com", &taken) ==
	    0 && taken == DB_FREE);
	ASSERT(db_end(db, 0) == 0);
	ASSERT(db_user_by_id(db, 4097, &got) == 1);
	db_user_free(&got);
}

static void
report(void *arg, int ok, const char *what)
{
	int	*bad = arg;

	(void)what;
	*bad += !ok;
}

/* Housekeeping, the figures and the checks. */
static void
test_housekeeping(struct db *db)
{
	struct db_stats	 st;
	struct db_purged p;
	int		 bad = 0;

	/* jane and bob; the two imported ones are inactive. */
	ASSERT(db_stats(db, &st) == 0 && st.users == 4 &&
	    st.active_users == 2 && st.attempts == 1 && st.bytes > 0 &&
	    st.tokens == 2 &&
	    st.schema == st.schema_latest && st.schema > 0);
	ASSERT(db_secret_rotate(db, (const unsigned char *)"fourth", 6,
	    5000) == 1);
	/* Before the windows and the grace end, nothing goes. */
	ASSERT(db_purge(db, 3029, 0, 0, &p) == 0 && p.attempts == 0 &&
	    p.tokens == 0 && p.previous_key == 0 && p.events == 0);
	ASSERT(db_purge(db, 5000, 0, 0, &p) == 0 && p.attempts == 1 &&
	    p.tokens == 0 && p.previous_key == 1);
	ASSERT(db_purge(db, 9000, 0, 0, &p) == 0 && p.tokens == 2);
	ASSERT(db_stats(db, &st) == 0 && st.attempts == 0 && st.tokens == 0);
	ASSERT(db_check(db, report, &bad) == 0 && bad == 0);
}

/* Without make DB=postgresql a PostgreSQL URI is refused, never a file. */
static void
test_no_pg(void)
{
#ifndef WITH_PG
	ASSERT(db_open("postgresql://u:pw@/nowhere", DB_CREATE) == NULL);
	ASSERT(db_open("postgres:///nowhere", DB_EXISTING) == NULL);
#endif
}

/* authctl copy-to's three functions, from db into an empty database. */
struct copied {
	struct db	*to;
	int		 n[DB_ROW_EVENT + 1];
	long long	 deleted;	/* a deleted id copied */
	long long	 ids;		/* the largest id ever given */
	int		 failed;
};

static int
copy_row(const struct db_row *r, void *arg)
{
	struct copied	*c = arg;

	if (db_import(c->to, r) == -1) {
		c->failed = 1;
		return -1;
	}
	c->n[r->kind]++;
	if (r->kind == DB_ROW_DELETED)
		c->deleted = r->id;
	else if (r->kind == DB_ROW_IDS)
		c->ids = r->id;
	return 0;
}

/* The users as text: id, name, hash, flag and revocation each. */
static int
user_text(const struct user *u, void *arg)
{
	char	*buf = arg;
	size_t	 len = strlen(buf);

	snprintf(buf + len, 4096 - len, "%lld %s %s %s %d %lld %lld;", u->id,
	    u->username, u->email, u->password, u->is_active, u->last_login,
	    u->tokens_valid_after);
	return 0;
}

static void
test_copy(struct db *db)
{
	struct copied	 c;
	struct db_token	 t;
	struct user	 u;
	enum db_taken	 taken;
	unsigned char	 a[64], b[64];
	size_t		 alen = sizeof(a), blen = sizeof(b);
	char		 from[4096] = "", to[4096] = "";
	const char	*table;
	long long	 until = 0, id = 0;

	memset(&c, 0, sizeof(c));
	ASSERT(db_empty(db, &table) == 0 && table != NULL);
	ASSERT((c.to = db_open(NULL, DB_CREATE)) != NULL);
	if (c.to == NULL)
		return;
	ASSERT(db_empty(c.to, &table) == 1 && table == NULL);
	ASSERT(db_user_revoke(db, 4096, &until) == 1);
	ASSERT(db_token_put(db, "copied-jti", 4096, DB_TOKEN_LOGGED_OUT, 10,
	    1LL << 40, NULL) == 0);
	ASSERT(db_event(db, 20, "key_rotated", 0, NULL, "copied") == 0);
	ASSERT(db_begin(c.to) == 0);
	ASSERT(db_export(db, copy_row, &c) == 0 && !c.failed);
	ASSERT(db_end(c.to, 0) == 0);
	ASSERT(c.n[DB_ROW_USER] == 4 && c.n[DB_ROW_DELETED] >= 1 &&
	    c.n[DB_ROW_IDS] == 1 && c.n[DB_ROW_SETTING] >= 1 &&
	    c.n[DB_ROW_TOKEN] == 1 && c.n[DB_ROW_EVENT] >= 1);
	ASSERT(db_user_each(db, user_text, from) == 0 &&
	    db_user_each(c.to, user_text, to) == 0 && *from != '\0' &&
	    strcmp(from, to) == 0);
	ASSERT(db_secret_get(db, a, &alen) == 1 &&
	    db_secret_get(c.to, b, &blen) == 1 && alen == blen &&
	    memcmp(a, b, alen) == 0);
	ASSERT(db_token_get(c.to, "copied-jti", &t) == 1 &&
	    t.user_id == 4096 && t.kind == DB_TOKEN_LOGGED_OUT && t.at == 10);
	ASSERT(db_empty(c.to, &table) == 0 && table != NULL);
	/* The deleted ids stay refused; register goes on past every id. */
	memset(&u, 0, sizeof(u));
	u.id = c.deleted;
	u.username = "again";
	u.email = "again@example.com";
	u.password = HASH;
	u.is_active = 1;
	ASSERT(db_user_import(c.to, &u, "again", "again@example.com",
	    &taken) == 0 && taken == DB_DELETED_ID);
	ASSERT(db_user_add(c.to, &u, "newest", "newest@example.com", 1, &id,
	    &taken) == 0 && taken == DB_FREE && c.ids >= 4097 &&
	    id == c.ids + 1);
	db_close(c.to);
}

int
main(void)
{
	static void (*const parts[])(struct db *) = {
		test_keys, test_attempts, test_users, test_account,
		test_tokens, test_import, test_housekeeping, test_copy,
		test_gate, test_gate_edges,
	};
	struct db	*db;
	const char	*uri = getenv("CORNERS_AUTH_TEST_PG");
	size_t		 i;

	test_no_pg();
#ifdef WITH_PG
	if (uri != NULL && pg_empty(uri) == -1)
		return unit_done("test-db");
#else
	if (uri != NULL) {
		fprintf(stderr, "test-db: CORNERS_AUTH_TEST_PG is set, but "
		    "this build has no PostgreSQL (make DB=postgresql)\n");
		return 1;
	}
#endif
	ASSERT((db = db_open(uri, DB_CREATE)) != NULL);
	if (db == NULL)
		return unit_done("test-db");
	for (i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		parts[i](db);
	db_close(db);
#ifdef WITH_PG
	test_pg(uri);
#endif
	return unit_done("test-db");
}
