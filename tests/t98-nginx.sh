#!/usr/bin/env bash
# nginx.conf.example beyond the API's answers, which every other file
# checks through it: the database is never served, only the five names
# reach a program, settings sent as fastcgi_param win over a FastCGI
# process's environment (re-read when a reload changes them), and the
# processes tests/serve.sh starts for it (spawn-fcgi's FastCGI processes,
# or fcgiwrap and its children) end with the server.  Runs under SERVER=nginx and nginx-cgi; under any other
# server it says why and passes.
. "$(dirname "$0")/lib.sh"

case $SERVER in
nginx|nginx-cgi) ;;
*)
	echo "# skipped: it is about nginx.conf.example; SERVER=nginx or nginx-cgi runs it"
	finish
	exit
	;;
esac

start_server
www=$T/server/www

# code URL: the status nginx answers for URL (not an API path).
code() {
	curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT$1"
}

# --- the database is never served ---------------------------------------------
# A root that covers a database (the example keeps them apart; this is the
# mistake the refusal is for).
mkdir -p "$www/corners-auth/db" "$www/data"
for f in corners-auth/db/auth.db corners-auth/db/notes.txt data/auth.db \
    data/auth.db-wal data/auth.db-shm data/auth.db-journal \
    data/auth.db-slots data/plain.txt; do
	echo secret >"$www/$f"
done
check "setup: a plain file under the root is served (200)" \
    test "$(code /data/plain.txt)" = 200
for f in corners-auth/db/auth.db corners-auth/db/notes.txt corners-auth/db/ \
    data/auth.db data/auth.db-wal data/auth.db-shm data/auth.db-journal \
    data/auth.db-slots; do
	check "/$f is refused (403)" test "$(code "/$f")" = 403
done
check "an encoded /corners-auth/%64b/auth.db is refused too (403)" \
    test "$(code /corners-auth/%64b/auth.db)" = 403

# --- only the five names reach a program -------------------------------------------
for p in /api/v1/auth/ /api/v1/auth/mex /api/v1/auth/cgi-bin \
    /api/v1/auth/../auth/me2 /api/v1/authme; do
	check "$p is no program (nginx's 404)" test "$(code "$p")" = 404
done
req GET me
check_status 401 "me is a program (401 without a token)"
req GET me/
check_status 404 "me/ reaches me with PATH_INFO / (its JSON 404)"
check_json .message "Not found." "me/: the program's own 404"

# --- settings nginx sends the FastCGI processes (fastcgi_param) --------------------
# Their own environment holds the settings (lib.sh's, through spawn-fcgi);
# the AUTH_* parameters nginx sends win over it, as a CGI program's
# environment is what its server passes, and are read again by the same
# processes when a reload changes them.
if [ "$SERVER" = nginx ]; then
	BAD='wr0ng-Guess!'
	# reload WANT: nginx rereads its configuration; the next logins (5 s
	# at most) until one answers WANT.
	reload() {
		kill -HUP "$(cat "$T/server/nginx.pid")"
		for _ in $(seq 50); do
			login nobody "$BAD"
			[ "$status" = "$1" ] && break
			sleep 0.1
		done
	}
	start_server FASTCGI_PARAMS='AUTH_RATE_LOGIN 2'
	pids=$(sort "$T/server/run/login.pid")
	seq=
	for _ in 1 2 3; do login nobody "$BAD"; seq+="$status "; done
	check "fastcgi_param AUTH_RATE_LOGIN 2 wins over the environment's 100000: 401 401 429 ($seq)" \
	    test "$seq" = "401 401 429 "
	sed -i 's/fastcgi_param AUTH_RATE_LOGIN "2";/fastcgi_param AUTH_RATE_LOGN "2";/' \
	    "$T/server/nginx.conf"
	reload 500
	check_status 500 "misspelt (AUTH_RATE_LOGN), after a reload: 500, as in the environment"
	check "...and the log names it" \
	    grep -q 'conf: AUTH_RATE_LOGN: not a setting this version knows' "$T/server.log"
	sed -i '/fastcgi_param AUTH_RATE_LOGN/d' "$T/server/nginx.conf"
	reload 401
	check_status 401 "no parameter after a reload: the environment's settings again (401)"
	check "the same login processes all along (pids $(echo $pids))" \
	    eval '[ "$(sort "$T/server/run/login.pid")" = "$pids" ] && kill -0 $pids'
fi

# --- nothing the server started outlives it ------------------------------------------
# alive DIR: how many processes that are not zombies name DIR on their
# command line (nginx, spawn-fcgi's processes, fcgiwrap).
alive() {
	local p n=0
	for p in /proc/[0-9]*; do
		[ "$(sed 's/.*) //' "$p/stat" 2>/dev/null | cut -d' ' -f1)" = Z ] &&
		    continue
		{ tr '\0' ' ' <"$p/cmdline"; } 2>/dev/null | grep -qF "$1" &&
		    n=$((n + 1))
	done
	echo "$n"
}
n=$(alive "$T/server/")
check "the server's processes run ($n)" test "$n" -ge 3
stop_server
sleep 0.5
n=$(alive "$T/server/")
check "stopped, none of them is left ($n)" test "$n" = 0

finish
