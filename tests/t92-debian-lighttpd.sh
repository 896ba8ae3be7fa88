#!/usr/bin/env bash
# lighttpd the Debian way, as corners-auth(8) EXAMPLES "lighttpd" says: the part between the
# "corners-auth" rulers of lighttpd.conf.example, copied into
# conf-available/50-corners-auth.conf of a stock Debian lighttpd (the
# package's own lighttpd.conf and conf-available/, with only the port,
# path and user lines changed so that it runs here unprivileged) and
# enabled with lighty-enable-mod, answers JSON.  Debian does not load
# mod_cgi; the part loads what it needs itself, so enabling Debian's cgi
# and setenv as well changes nothing, and were mod_cgi missing all the same
# the executables are still never sent as files.
# Runs under SERVER=lighttpd only; under any other server it says why and
# counts nothing.
. "$(dirname "$0")/lib.sh"

if [ "$SERVER" != lighttpd ]; then
	echo "# skipped: it starts a Debian lighttpd of its own; SERVER=lighttpd runs it"
	finish
	exit
fi
for f in /etc/lighttpd/lighttpd.conf /etc/lighttpd/conf-available/10-cgi.conf \
    /usr/sbin/lighty-enable-mod; do
	if [ ! -r "$f" ]; then
		not_ok "Debian's lighttpd package is installed" "no $f"
		finish
		exit
	fi
done

# lighttpd goes back to its working directory after each include_shell:
# one that the user running it may enter.
cd "$T" || exit 2
ETC=$T/etc/lighttpd
PREFIX=$T/prefix
PW='Debian-way-pass-7q!'
# The database the settings written into the configuration name (under
# PostgreSQL FastCGI's processes get its direct URI, as start_server gives
# them, and CGI's the one through pgbouncer).
D92=$T/db/auth.db
[ "$DB_KIND" != postgresql ] || D92=$(db_new d92)

# --- helpers of this file -----------------------------------------------------

# layout EXAMPLE [sed-arg...]: a fresh stock layout in $ETC, nothing
# enabled, with the part between the rulers of EXAMPLE as a user copies it
# into conf-available/50-corners-auth.conf: var.corners_auth set to $PREFIX
# (and FastCGI's var.corners_auth_run to $T/run) and the settings written
# in (a setenv list for CGI, var.corners_auth_env for FastCGI).  The
# sed-args change the copied part further (to take something out of it).
layout() {
	local example=$1 slots=
	shift
	# A PostgreSQL AUTH_DB has no file to keep the hashing slots beside,
	# and the compiled-in default's directory is not this server's.
	[ "$DB_KIND" != postgresql ] ||
	    slots=" \"AUTH_HASH_SLOTS_FILE\" => \"$T/db/slots\","
	rm -rf "$ETC" "$T/run"
	mkdir -p "$ETC/conf-enabled" "$T/www" "$T/uploads" "$T/db" "$T/run"
	cp -r /etc/lighttpd/conf-available "$ETC/"
	{
		sed -n '/^# --- corners-auth ---/,/^# --- corners-auth ---/p' \
		    "$TOP/$example" |
		    sed -e "s|^var.corners_auth = .*|var.corners_auth = \"$PREFIX\"|" \
		    -e "s|^var.corners_auth_run = .*|var.corners_auth_run = \"$T/run\"|" \
		    -e "s|^var.corners_auth_env = (|&\\
	\"AUTH_DB\" => \"$(db_direct "$D92")\", \"AUTH_PBKDF2_ITERATIONS\" => \"1000\",$slots|" \
		    "$@"
		if [ "$example" = lighttpd.conf.example ]; then
			echo 'setenv.add-environment = ('
			echo "	\"AUTH_DB\" => \"$D92\","
			echo '	"AUTH_PBKDF2_ITERATIONS" => "1000",'
			[ -z "$slots" ] || echo "	${slots# }"
			echo ')'
		fi
	} >"$ETC/conf-available/50-corners-auth.conf"
}

# enable MODULE...: lighty-enable-mod MODULE... on $ETC: Debian's own
# script, its configuration directory (fixed at /etc/lighttpd/) set to $ETC.
enable() {
	sed "s|^my \$confdir = \"/etc/lighttpd/\";|my \$confdir = \"$ETC/\";|" \
	    /usr/sbin/lighty-enable-mod >"$T/lighty-enable-mod"
	if ! grep -qF "my \$confdir = \"$ETC/\";" "$T/lighty-enable-mod"; then
		echo "# lighty-enable-mod changed: making its symbolic links by hand"
		local m
		for m in "$@"; do
			ln -s "../conf-available/$(cd "$ETC/conf-available" &&
			    ls [0-9][0-9]-"$m".conf)" "$ETC/conf-enabled/"
		done
		echo "(by hand)" >"$T/enable.out"
		return
	fi
	perl "$T/lighty-enable-mod" "$@" >"$T/enable.out" 2>&1
}

# serve: lighttpd -D on the layout in $ETC, from Debian's lighttpd.conf
# with only its port, path and user lines changed, on a free port; its log
# (stderr, as server.errorlog is taken out) in $T/lighttpd.log.  Returns 1
# when it does not start.
serve() {
	local try
	stop_server
	for try in 1 2 3 4 5 6 7 8 9 10; do
		PORT=$((20000 + $(od -An -N2 -tu2 /dev/urandom) % 40000))
		sed -e "s|^server.port .*|server.port = $PORT\\
server.bind = \"127.0.0.1\"|" \
		    -e "s|^server.document-root .*|server.document-root = \"$T/www\"|" \
		    -e "s|^server.upload-dirs .*|server.upload-dirs = ( \"$T/uploads\" )|" \
		    -e "s|^server.pid-file .*|server.pid-file = \"$T/lighttpd.pid\"|" \
		    -e 's|^server.errorlog |#&|' \
		    -e 's|^server.username |#&|' -e 's|^server.groupname |#&|' \
		    -e 's|^include_shell "/usr/share/lighttpd/use-ipv6.pl|#&|' \
		    -e "s|^include \"/etc/lighttpd/conf-enabled/|include \"$ETC/conf-enabled/|" \
		    /etc/lighttpd/lighttpd.conf >"$ETC/lighttpd.conf"
		lighttpd -D -f "$ETC/lighttpd.conf" >"$T/lighttpd.log" 2>&1 &
		SERVER_PID=$!
		for _ in $(seq 100); do
			kill -0 "$SERVER_PID" 2>/dev/null || break
			curl -s -o /dev/null "http://127.0.0.1:$PORT/" && return 0
			sleep 0.05
		done
		stop_server
		grep -q 'Address already in use' "$T/lighttpd.log" || break
	done
	echo "# lighttpd did not start; its log:"
	sed 's/^/#   /' "$T/lighttpd.log" | tail -n 20
	return 1
}

# not_elf: the last answer's body is not an executable's bytes.
not_elf() {
	[ "$(head -c 4 "$T/body" | od -An -tx1 | tr -d ' ')" != 7f454c46 ]
}

# no_warning: lighttpd said nothing of a configuration key it ignores.
no_warning() {
	! grep -q 'unknown config-key' "$T/lighttpd.log"
}

# json_api WHAT NAME: register NAME, log in, me: JSON each time.
json_api() {
	local what=$1 name=$2
	register "$name" "$name@example.com" "$PW"
	check_status 201 "$what: register is 201"
	check_header Content-Type application/json "$what: register answers JSON"
	check "$what: register gives an access token" test -n "$access"
	login "$name" "$PW"
	check_status 200 "$what: login is 200"
	check_header Content-Type application/json "$what: login answers JSON"
	req GET me - -H "Authorization: Bearer $access"
	check_status 200 "$what: me with the token is 200"
	check_json .username "$name" "$what: me names the user"
	req GET me
	check_status 401 "$what: me without a token is 401"
	check_header Content-Type application/json "$what: the 401 is JSON"
	check "$what: ...and not the executable" not_elf
	# The OpenAPI document, typed JSON whatever Debian's mime table says.
	status=$(curl -s -o "$T/body" -D "$T/hdrs" -w '%{http_code}' \
	    "http://127.0.0.1:$PORT/api/v1/openapi.json")
	hdrs=$(tr -d '\r' <"$T/hdrs")
	check "$what: /api/v1/openapi.json is openapi.json (status $status)" \
	    cmp -s "$T/body" "$TOP/openapi.json"
	check_header Content-Type application/json \
	    "$what: /api/v1/openapi.json is application/json"
}

# --- the snippet --------------------------------------------------------------

for example in lighttpd.conf.example lighttpd-fastcgi.conf.example; do
	rulers=$(grep -c '^# --- corners-auth ---' "$TOP/$example")
	check "$example has two corners-auth rulers ($rulers)" test "$rulers" = 2
done
mkdir -p "$PREFIX/cgi-bin" "$PREFIX/share/corners-auth"
for p in register login refresh me logout; do
	cp "$BIN/$p" "$PREFIX/cgi-bin/"
done
cp "$TOP/openapi.json" "$PREFIX/share/corners-auth/"	# as make install does

# --- 1. lighty-enable-mod corners-auth, as corners-auth(8) says ------------------------

layout lighttpd.conf.example
enable corners-auth
rc=$?
check "lighty-enable-mod corners-auth succeeds ($(tr '\n' ' ' <"$T/enable.out"))" \
    test "$rc" = 0
check "conf-enabled/50-corners-auth.conf links to conf-available" \
    test "$(readlink "$ETC/conf-enabled/50-corners-auth.conf")" = \
    ../conf-available/50-corners-auth.conf
check "Debian's cgi and setenv are not enabled" \
    test -z "$(ls "$ETC"/conf-enabled/ | grep -e '-cgi\.conf$' -e '-setenv\.conf$')"
if serve; then
	ok "lighttpd starts with corners-auth enabled"
	check "lighttpd ignores no configuration key" no_warning
	json_api "corners-auth alone" alice
	check "corners-auth alone: the settings reach the endpoints (AUTH_DB)" \
	    test "$(users_in "$D92")" = 1
else
	not_ok "lighttpd starts with corners-auth enabled" "see its log above"
fi

# --- 2. with Debian's cgi and setenv enabled too ------------------------------

layout lighttpd.conf.example
enable cgi setenv corners-auth
rc=$?
check "lighty-enable-mod cgi setenv corners-auth succeeds" test "$rc" = 0
check "setup: Debian's cgi and setenv are enabled" \
    test "$(ls "$ETC"/conf-enabled/ | grep -c -e '-cgi\.conf$' -e '-setenv\.conf$')" = 2
if serve; then
	ok "lighttpd starts with mod_cgi and mod_setenv loaded twice"
	check "...and ignores no configuration key" no_warning
	json_api "cgi setenv corners-auth" bob
	check "cgi setenv corners-auth: the settings reach the endpoints (AUTH_DB)" \
	    test "$(users_in "$D92")" = 2
else
	not_ok "lighttpd starts with mod_cgi and mod_setenv loaded twice" \
	    "see its log above"
fi

# --- 3. mod_cgi missing all the same: never the executable --------------------

# The copied part without its server.modules line, as if it had no effect.
layout lighttpd.conf.example -e '/^server.modules /d'
enable corners-auth
if serve; then
	check "without mod_cgi: setup: lighttpd ignores cgi.assign" \
	    grep -q 'unknown config-key: cgi.assign' "$T/lighttpd.log"
	# lighttpd's own answers, not the API's (openapi.json: skipped).
	OPENAPI_SKIP="lighttpd without mod_cgi" req GET me
	check "without mod_cgi: GET me is not 200 (got $status)" test "$status" != 200
	check "without mod_cgi: GET me is not the executable" not_elf
	check "without mod_cgi: GET me is not application/octet-stream" \
	    test "$(header Content-Type)" != application/octet-stream
	OPENAPI_SKIP="lighttpd without mod_cgi" \
	    req POST login "{\"username\":\"alice\",\"password\":\"$PW\"}"
	check "without mod_cgi: POST login is not 200 (got $status)" test "$status" != 200
	check "without mod_cgi: POST login is not the executable" not_elf
else
	ok "without mod_cgi: lighttpd refuses to start"
fi

# --- 4. FastCGI: lighttpd-fastcgi.conf.example, the same way ------------------

layout lighttpd-fastcgi.conf.example
enable corners-auth
rc=$?
check "FastCGI: lighty-enable-mod corners-auth succeeds" test "$rc" = 0
check "FastCGI: setup: Debian's 10-fastcgi.conf is not enabled" \
    test ! -e "$ETC/conf-enabled/10-fastcgi.conf"
if serve; then
	ok "FastCGI: lighttpd starts with corners-auth enabled"
	check "FastCGI: lighttpd ignores no configuration key" no_warning
	json_api "FastCGI" carol
	check "FastCGI: the settings reach the endpoints (AUTH_DB)" \
	    test "$(users_in "$D92")" = 3
else
	not_ok "FastCGI: lighttpd starts with corners-auth enabled" "see its log above"
fi
stop_server

finish
