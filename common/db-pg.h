/*
 * The PostgreSQL backend (common/db-pg.c, make DB=postgresql), private to
 * db.c: each pg_* function does what db.h says of its db_* namesake, on
 * struct pg in place of struct db.  Only db.c and db-pg.c include this.
 */
#ifndef DB_PG_H
#define DB_PG_H

#include <stddef.h>

#include "db.h"

struct pg;

/*
 * Connect to the server uri names (a postgresql:// or postgres:// URI,
 * libpq's syntax) and, unless mode is DB_INSPECT, bring the schema up to
 * date.  The URI's password never reaches the log.  Returns NULL (logged)
 * if that fails.  pg_close accepts NULL.
 */
struct pg *pg_open(const char *uri, int mode);
void	pg_close(struct pg *pg);
void	pg_tidy(struct pg *pg);
void	pg_keep(struct pg *pg);
int	pg_prepares(const struct pg *pg);
long long pg_now(struct pg *pg);

int	pg_begin(struct pg *pg);
int	pg_end(struct pg *pg, int failed);

int	pg_secret_get(struct pg *pg, unsigned char *buf, size_t *len);
int	pg_secret_put(struct pg *pg, const unsigned char *key, size_t len);
int	pg_secret_rotate(struct pg *pg, const unsigned char *key, size_t len,
	    long long until);
int	pg_secret_previous(struct pg *pg, unsigned char *buf, size_t *len,
	    long long *until);

int	pg_attempt(struct pg *pg, int scope, const char *client,
	    long long bucket, long long expires, long long *count);

int	pg_user_by_id(struct pg *pg, long long id, struct user *u);
int	pg_user_with_key(struct pg *pg, long long id, struct user *u,
	    unsigned char *key, size_t *keylen);
int	pg_user_by_key(struct pg *pg, int is_email, const char *key,
	    struct user *u);
int	pg_user_add(struct pg *pg, const struct user *u,
	    const char *username_key, const char *email_key, long long now,
	    long long *id, enum db_taken *taken);
int	pg_login_gate(struct pg *pg, struct db_gate *g);
int	pg_login_undo(struct pg *pg, const struct db_gate *g);
int	pg_user_login(struct pg *pg, long long id, long long now,
	    const char *oldhash, const char *newhash,
	    const struct db_gate *g);
int	pg_event(struct pg *pg, long long at, const char *event,
	    long long user_id, const char *client, const char *detail);
int	pg_events(struct pg *pg, long long user_id, long long since,
	    int (*fn)(const struct db_eventrow *, void *), void *arg);
int	pg_user_each(struct pg *pg, int (*fn)(const struct user *, void *),
	    void *arg);
int	pg_user_password(struct pg *pg, long long id, const char *hash,
	    long long *at);
int	pg_user_revoke(struct pg *pg, long long id, long long *at);
int	pg_user_active(struct pg *pg, long long id, int active);
int	pg_user_delete(struct pg *pg, long long id, const char *hash);
int	pg_user_swap_password(struct pg *pg, long long id, const char *old,
	    const char *hash, long long at);
int	pg_user_email(struct pg *pg, long long id, const char *email,
	    const char *email_key, enum db_taken *taken);
int	pg_token_get(struct pg *pg, const char *jti, struct db_token *t);
int	pg_token_put(struct pg *pg, const char *jti, long long user_id,
	    enum db_token_kind kind, long long at, long long expires,
	    struct db_token *t);
int	pg_user_import(struct pg *pg, const struct user *u,
	    const char *username_key, const char *email_key,
	    enum db_taken *taken);
int	pg_purge(struct pg *pg, long long now, long long events_before,
	    long long known_before, struct db_purged *p);
int	pg_stats(struct pg *pg, struct db_stats *st);
int	pg_check(struct pg *pg, void (*report)(void *arg, int ok,
	    const char *what), void *arg);

/* db_shown's, db_exists's, and authctl copy-to's (db.h). */
void	pg_shown(const char *uri, char *buf, size_t len);
int	pg_exists(const char *uri);
int	pg_export(struct pg *pg, int (*fn)(const struct db_row *, void *),
	    void *arg);
int	pg_import(struct pg *pg, const struct db_row *row);
int	pg_empty(struct pg *pg, const char **table);

#endif
