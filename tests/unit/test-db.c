/*
 * db.c on its private in-memory database: every function of db.h, the
 * verdicts of a duplicate, transactions that roll back, and housekeeping.
 */
#include <string.h>
#include <time.h>

#include "db.h"
#include "unit.h"

#define HASH	"pbkdf2_sha256$1000$713P6a4S8qgiEX0W6mX8QM" \
		"$cI3g13kaAWUbjy5a9PQin2UeRHzFz4ysJJcom8yxbWQ="

/* The signing key, made on first use, and rotation with a grace. */
static void
test_keys(struct db *db)
{
	unsigned char	 buf[64];
	size_t		 len = sizeof(buf);
	long long	 until = 0;

	ASSERT(db_secret_get(db, buf, &len) == 0);
	ASSERT(db_secret_put(db, (const unsigned char *)"first-key", 9) == 0);
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

	ASSERT(db_user_login(db, jane, 2000, NULL) == 0);
	ASSERT(db_user_by_id(db, jane, &got) == 1 && got.last_login == 2000 &&
	    strcmp(got.password, HASH) == 0);
	db_user_free(&got);
	ASSERT(db_user_login(db, jane, 2001, "pbkdf2_sha256$2$x$y") == 0);
	ASSERT(db_user_by_id(db, jane, &got) == 1 &&
	    strcmp(got.password, "pbkdf2_sha256$2$x$y") == 0);
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
	long long	 attempts = -1, tokens = -1;
	int		 previous = -1, bad = 0;

	/* jane and bob; the two imported ones are inactive. */
	ASSERT(db_stats(db, &st) == 0 && st.users == 4 &&
	    st.active_users == 2 && st.attempts == 1 && st.bytes > 0 &&
	    st.tokens == 2 &&
	    st.schema == st.schema_latest && st.schema > 0);
	ASSERT(db_secret_rotate(db, (const unsigned char *)"fourth", 6,
	    5000) == 1);
	/* Before the windows and the grace end, nothing goes. */
	ASSERT(db_purge(db, 3029, &attempts, &tokens, &previous) == 0 &&
	    attempts == 0 && tokens == 0 && previous == 0);
	ASSERT(db_purge(db, 5000, &attempts, &tokens, &previous) == 0 &&
	    attempts == 1 && tokens == 0 && previous == 1);
	ASSERT(db_purge(db, 9000, &attempts, &tokens, &previous) == 0 &&
	    tokens == 2);
	ASSERT(db_stats(db, &st) == 0 && st.attempts == 0 && st.tokens == 0);
	ASSERT(db_check(db, report, &bad) == 0 && bad == 0);
}

int
main(void)
{
	struct db	*db;

	ASSERT((db = db_open(NULL, DB_CREATE)) != NULL);
	if (db == NULL)
		return unit_done("test-db");
	test_keys(db);
	test_attempts(db);
	test_users(db);
	test_account(db);
	test_tokens(db);
	test_import(db);
	test_housekeeping(db);
	db_tidy(db);
	db_close(db);
	return unit_done("test-db");
}
