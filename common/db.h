/*
 * Storage: the only module that knows SQL, table names or SQLite.  Every
 * statement lives in one table in db.c; every write is one transaction
 * opened with BEGIN IMMEDIATE.  Functions returning -1 have logged why;
 * to the client that is SPEC's 503 (a storage failure).
 */
#ifndef DB_H
#define DB_H

#include <stddef.h>

struct db;

/* A user as stored; strings owned by the struct (db_user_free). */
struct user {
	long long	 id;
	char		*username;
	char		*email;
	char		*password;	/* Django-format hash */
	int		 is_active;
};

/* What db_user_add reports besides success. */
#define DB_TAKEN_USERNAME	1
#define DB_TAKEN_EMAIL		2

/*
 * Open (creating it mode 0600 if missing) the database at path, and bring
 * its schema up to date; a NULL path is a private in-memory database (for
 * the fuzzers).  Returns NULL (logged) if that fails.
 */
struct db *db_open(const char *path);
void	db_close(struct db *db);

/*
 * The signing key kept in the database.  db_secret_get copies it into buf
 * (size *len, updated): 1 found, 0 none yet, -1 error.  db_secret_put
 * stores key unless one is already there (the first writer wins).
 */
int	db_secret_get(struct db *db, unsigned char *buf, size_t *len);
int	db_secret_put(struct db *db, const unsigned char *key, size_t len);

/*
 * Count one attempt of client in scope during window bucket, dropping all
 * older windows, in one transaction.  Sets *count to the attempts so far
 * including this one.  Returns 0 or -1.
 */
int	db_attempt(struct db *db, int scope, const char *client,
	    long long bucket, long long *count);

/*
 * Look a user up by id, or by the case-folded key of the username or (with
 * is_email) of the email.  Returns 1 found (u filled), 0 none, -1 error.
 */
int	db_user_by_id(struct db *db, long long id, struct user *u);
int	db_user_by_key(struct db *db, int is_email, const char *key,
	    struct user *u);
void	db_user_free(struct user *u);

/*
 * Create an active user joined at now; the keys are the case-folded forms
 * the unique indexes hold.  Returns 0 with *id set, DB_TAKEN_USERNAME or
 * DB_TAKEN_EMAIL if the database refused a duplicate, or -1.
 */
int	db_user_add(struct db *db, const struct user *u,
	    const char *username_key, const char *email_key, long long now,
	    long long *id);

/* Record a login at now, and store newhash if it is not NULL: 0 or -1. */
int	db_user_login(struct db *db, long long id, long long now,
	    const char *newhash);

#endif
