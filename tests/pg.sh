#!/usr/bin/env bash
# tests/pg.sh: a private PostgreSQL 15 cluster and a pgbouncer in front of
# it, for the suite under DB=postgresql.  Sourced by tests/run.sh (one
# cluster for the whole run) and by tests/lib.sh (a file run by itself
# under DB=postgresql gets one of its own); run as a command it gives a
# shell with a cluster (below).
#
# What it starts, all in one private directory $PGH (mode 0700, owned by
# the user the tests run as, "nobody" when started by root):
#   $PGH/data     initdb's cluster: no TCP at all (listen_addresses = ''),
#                 its socket in $PGH/sock (.s.PGSQL.5432); roles postgres
#                 (superuser: the harness's own) and corners (what the
#                 programs and db_sql log in as: no superuser, owner of
#                 each test database)
#   pgbouncer     transaction pooling, a wildcard database entry (any
#                 database name reaches the database of that name), its
#                 socket in $PGH/sock too (.s.PGSQL.6432), no listen_addr
#   logs          $PGH/postgresql.log, $PGH/pgbouncer.log
#
#   pg_up                 make and start both; sets and exports PGH
#   pg_down               stop both, remove $PGH (whatever state they are in)
#   pg_stop [MODE]        pg_ctl stop -m MODE (default fast), mid-test
#   pg_start              start PostgreSQL again
#   pgbouncer_stop        stop pgbouncer (SIGTERM: its immediate shutdown)
#   pgbouncer_start       start it again
#   pg_running, pgbouncer_running     whether each is up (exit status)
#   pg_ensure_up          start whichever of the two is down
#   pg_uri NAME [direct]  the URI of database NAME as corners: through
#                         pgbouncer, or straight to PostgreSQL
#   pg_admin SQL          run SQL as postgres on database postgres
#   pg_createdb NAME / pg_dropdb NAME     (dropdb: WITH (FORCE), so that
#                         pgbouncer's pooled connections do not keep it)
#
#   bash tests/pg.sh shell [COMMAND...]   a cluster, COMMAND (default: a
#                         shell) run with PGH and the URIs of a database
#                         "scratch" in PG_URI and PG_URI_DIRECT; removed after
#
# The binaries: PG_BINDIR (default: Debian's /usr/lib/postgresql/15/bin)
# for initdb, pg_ctl and postgres; pgbouncer and psql from PATH.

PG_BINDIR=${PG_BINDIR:-/usr/lib/postgresql/15/bin}
PG_PORT=5432		# socket names only: nothing listens on TCP
PGB_PORT=6432
# The role the programs use: not a superuser, as a deployment's is not
# (authctl check says so of a superuser).
PG_ROLE=corners

# pg_as COMMAND...: run COMMAND as the cluster's owner (initdb and
# postgres refuse root), from $PGH (root's working directory may be
# closed to it), with no file descriptor but 0-2 left open: a server
# started mid-test must not hold a test's pipe or fifo open (a command
# substitution would wait for it to close).
pg_as() {
	(
		cd "$PGH" || exit 1
		for fd in $(ls /proc/$BASHPID/fd); do
			[ "$fd" -gt 2 ] && eval "exec $fd>&-"
		done
		if [ "$(id -u)" = "$(stat -c %u "$PGH")" ]; then
			exec "$@"
		fi
		exec setpriv --reuid="$(stat -c %u "$PGH")" \
		    --regid="$(stat -c %g "$PGH")" --clear-groups \
		    env HOME="$PGH" "$@"
	)
}

# pg_enc PATH: PATH percent-encoded for a URI's host (a socket directory).
pg_enc() {
	local s=$1 out= c i
	for ((i = 0; i < ${#s}; i++)); do
		c=${s:i:1}
		case $c in
		[A-Za-z0-9._~-]) out+=$c ;;
		*) out+=$(printf '%%%02X' "'$c") ;;
		esac
	done
	printf '%s' "$out"
}

# pg_uri NAME [direct]: postgresql://corners@SOCKDIR:PORT/NAME, the socket
# directory percent-encoded in the host part (libpq's URI syntax): no '&'
# or '?' in it, so it can be quoted into a configuration or a sed script.
pg_uri() {
	local port=$PGB_PORT
	[ "${2:-}" = direct ] && port=$PG_PORT
	printf 'postgresql://%s@%s:%s/%s' "$PG_ROLE" "$(pg_enc "$PGH/sock")" \
	    "$port" "$1"
}

# pg_psql USER DATABASE [PSQL-ARG...]: psql as USER straight to PostgreSQL
# (no NOTICE: DROP DATABASE IF EXISTS says when there was none).
pg_psql() {
	local user=$1 db=$2
	shift 2
	PGOPTIONS='-c client_min_messages=warning' PGCLIENTENCODING=UTF8 \
	    psql -X -q -A -t -v ON_ERROR_STOP=1 \
	    -d "postgresql://$user@$(pg_enc "$PGH/sock"):$PG_PORT/$db" "$@"
}

pg_admin() {
	pg_psql postgres postgres -c "$1"
}

pg_createdb() {
	# FILE_COPY: copying template1's few files is quicker than WAL_LOG's
	# page-by-page copy for a database this small.
	pg_admin "CREATE DATABASE \"$1\" OWNER $PG_ROLE STRATEGY FILE_COPY"
}

pg_dropdb() {
	pg_admin "DROP DATABASE IF EXISTS \"$1\" WITH (FORCE)"
}

pg_running() {
	[ -n "${PGH:-}" ] && [ -d "$PGH/data" ] &&
	    pg_as "$PG_BINDIR/pg_ctl" -D "$PGH/data" status >/dev/null 2>&1
}

pg_start() {
	pg_as "$PG_BINDIR/pg_ctl" -D "$PGH/data" -l "$PGH/postgresql.log" \
	    -w -t 30 start >/dev/null ||
	    { echo "pg.sh: PostgreSQL did not start; its log:" >&2
	      tail -n 20 "$PGH/postgresql.log" >&2; return 1; }
}

pg_stop() {
	pg_as "$PG_BINDIR/pg_ctl" -D "$PGH/data" -m "${1:-fast}" -w -t 30 \
	    stop >/dev/null
}

# The pid pgbouncer wrote, if that process still runs.
pgbouncer_pid() {
	local pid
	pid=$(cat "$PGH/pgbouncer.pid" 2>/dev/null) || return 1
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

pgbouncer_running() {
	[ -n "${PGH:-}" ] && pgbouncer_pid >/dev/null
}

pgbouncer_start() {
	local i
	pg_as pgbouncer -d -q "$PGH/pgbouncer.ini" ||
	    { echo "pg.sh: pgbouncer did not start; its log:" >&2
	      tail -n 20 "$PGH/pgbouncer.log" >&2; return 1; }
	# Up when it answers: a query through it to a real database.
	for i in $(seq 100); do
		PGCLIENTENCODING=UTF8 psql -X -q -A -t \
		    -d "$(PG_ROLE=postgres pg_uri postgres)" -c 'SELECT 1' \
		    >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	echo "pg.sh: pgbouncer does not answer; its log:" >&2
	tail -n 20 "$PGH/pgbouncer.log" >&2
	return 1
}

# pgbouncer_stop: SIGTERM (its immediate shutdown: clients are cut off,
# as when the pooler dies), then wait until it is gone.
pgbouncer_stop() {
	local pid i
	pid=$(pgbouncer_pid) || return 0
	kill -TERM "$pid" 2>/dev/null
	for i in $(seq 100); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.05
	done
	kill -KILL "$pid" 2>/dev/null
	sleep 0.1
}

pg_ensure_up() {
	pg_running || pg_start || return 1
	pgbouncer_running || pgbouncer_start
}

pg_up() {
	local owner=
	if [ ! -x "$PG_BINDIR/initdb" ] || ! command -v pgbouncer >/dev/null ||
	    ! command -v psql >/dev/null; then
		echo "pg.sh: needs PostgreSQL 15 ($PG_BINDIR/initdb), pgbouncer" \
		    "and psql (make deps installs them)" >&2
		return 1
	fi
	PGH=$(mktemp -d "${TMPDIR:-/tmp}/corners-auth-pg.XXXXXX") || return 1
	export PGH
	# root: the cluster belongs to nobody, the user tests/run.sh runs
	# each file as, so that a file can stop and start it itself.
	[ "$(id -u)" = 0 ] && owner=nobody:nogroup
	mkdir "$PGH/sock"
	chmod 700 "$PGH" "$PGH/sock"
	[ -z "$owner" ] || chown "$owner" "$PGH" "$PGH/sock"
	# C collation: ORDER BY compares bytes, as SQLite's BINARY does, so
	# that db_sql prints rows in the same order on both.
	if ! pg_as "$PG_BINDIR/initdb" -D "$PGH/data" -U postgres -A trust \
	    -E UTF8 --locale=C --no-sync >"$PGH/initdb.log" 2>&1; then
		echo "pg.sh: initdb failed:" >&2
		tail -n 20 "$PGH/initdb.log" >&2
		return 1
	fi
	cat >>"$PGH/data/postgresql.conf" <<-EOF

	# tests/pg.sh: a private, throwaway cluster.
	listen_addresses = ''			# nothing on TCP
	port = $PG_PORT				# the socket's name
	unix_socket_directories = '$PGH/sock'
	unix_socket_permissions = 0700
	# Durability against a machine crash is of no use here (the cluster
	# lives for one run); a fast or immediate stop still loses nothing
	# committed, which is what the fault tests look at.
	fsync = off
	synchronous_commit = off
	full_page_writes = off
	max_connections = 200
	timezone = 'UTC'
	lc_messages = 'C'
	log_line_prefix = '%m [%p] %q%u@%d '
	EOF
	# trust, in pg_hba.conf (initdb -A) and in pgbouncer: the sockets are
	# in a directory only the owner (the tests' and servers' user) can
	# enter, so the kernel already decides who connects.  That is the
	# set-up the documentation recommends for a private socket directory
	# (SPEC "Storage": SCRAM costs 7-17 ms per connection, which every
	# CGI request would pay); a password is for a socket others can reach.
	printf '"%s" ""\n"postgres" ""\n' "$PG_ROLE" >"$PGH/userlist.txt"
	cat >"$PGH/pgbouncer.ini" <<-EOF
	;; tests/pg.sh: pgbouncer in front of the private cluster.
	[databases]
	; Any database name goes to the database of that name: each test file
	; makes its own.
	* = host=$PGH/sock port=$PG_PORT

	[pgbouncer]
	; No listen_addr: the unix socket only.
	unix_socket_dir = $PGH/sock
	unix_socket_mode = 0700
	listen_port = $PGB_PORT
	auth_type = trust
	auth_file = $PGH/userlist.txt
	admin_users = postgres
	; What the CGI programs are written for (SPEC "Storage").
	pool_mode = transaction
	max_client_conn = 500
	default_pool_size = 20
	; Each file's database is dropped at its end: idle server connections
	; should not pile up from one file to the next.
	server_idle_timeout = 10
	; After PostgreSQL comes back, pgbouncer tries again within a second
	; (default 15 s), so a fault test's recovery does not wait on it.
	server_login_retry = 1
	logfile = $PGH/pgbouncer.log
	pidfile = $PGH/pgbouncer.pid
	log_connections = 0
	log_disconnections = 0
	EOF
	[ -z "$owner" ] || chown "$owner" "$PGH/userlist.txt" "$PGH/pgbouncer.ini"
	pg_start || return 1
	pg_admin "CREATE ROLE $PG_ROLE LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE" ||
	    return 1
	pgbouncer_start
}

# pg_down: stop both and remove $PGH, whatever state they are in (a test
# may have stopped either, or left a transaction open).
pg_down() {
	local pid
	[ -n "${PGH:-}" ] && [ -d "$PGH" ] || return 0
	pgbouncer_stop
	if [ -f "$PGH/data/postmaster.pid" ]; then
		pg_stop fast 2>/dev/null || pg_stop immediate 2>/dev/null
		pid=$(head -n 1 "$PGH/data/postmaster.pid" 2>/dev/null)
		if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
			kill -KILL "$pid" 2>/dev/null
			sleep 0.2
		fi
	fi
	rm -rf "$PGH"
	PGH=
}

# As a command: bash tests/pg.sh shell [COMMAND...]
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	set -u
	case ${1:-} in
	shell)
		shift
		trap pg_down EXIT
		trap 'exit 130' INT TERM HUP
		pg_up || exit 1
		pg_createdb scratch || exit 1
		export PG_URI PG_URI_DIRECT
		PG_URI=$(pg_uri scratch)
		PG_URI_DIRECT=$(pg_uri scratch direct)
		echo "pg.sh: PGH=$PGH" >&2
		echo "pg.sh: through pgbouncer: $PG_URI" >&2
		echo "pg.sh: direct:            $PG_URI_DIRECT" >&2
		if [ $# -gt 0 ]; then
			"$@"
		else
			"${SHELL:-bash}"
		fi
		;;
	*)
		echo "usage: bash tests/pg.sh shell [COMMAND...]" >&2
		exit 2
		;;
	esac
fi
