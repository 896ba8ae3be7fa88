#!/usr/bin/env bash
# Behind a reverse proxy (corners-auth(8), "The attempt counter"): a front lighttpd
# with mod_proxy forwards to the server under test and appends the client's
# address to X-Forwarded-For; AUTH_TRUSTED_PROXIES=127.0.0.1 makes the
# attempt counter count the real client, and a client-invented left-most
# entry does not give it a fresh count.  Clients are told apart by their
# source address on the loopback network (127.0.0.2, 127.0.0.3).
. "$(dirname "$0")/lib.sh"

start_server AUTH_TRUSTED_PROXIES=127.0.0.1 AUTH_RATE_LOGIN=3 \
    AUTH_RATE_WINDOW="$(pick_window)"

FRONT_PID=
stop_front() {
	[ -z "$FRONT_PID" ] || { kill "$FRONT_PID" 2>/dev/null; wait "$FRONT_PID" 2>/dev/null; }
}
trap 'stop_front; cleanup' EXIT

mkdir -p "$T/front/www"
for try in 1 2 3 4 5; do
	FPORT=$((20000 + $(od -An -N2 -tu2 /dev/urandom) % 40000))
	cat >"$T/front/lighttpd.conf" <<EOC
server.modules = ( "mod_proxy" )
server.document-root = "$T/front/www"
server.bind = "127.0.0.1"
server.port = $FPORT
proxy.server = ( "" => ( ( "host" => "127.0.0.1", "port" => $PORT ) ) )
EOC
	lighttpd -D -f "$T/front/lighttpd.conf" >>"$T/front.log" 2>&1 &
	FRONT_PID=$!
	for _ in $(seq 50); do
		kill -0 "$FRONT_PID" 2>/dev/null || break
		curl -s -o /dev/null "http://127.0.0.1:$FPORT/" && break 2
		sleep 0.05
	done
	stop_front
	FRONT_PID=
done
[ -n "$FRONT_PID" ] || { echo "cannot start the front proxy" >&2; exit 2; }

# login_from ADDRESS [XFF]: a failed login through the front proxy.
login_from() {
	local xff=()
	[ $# -gt 1 ] && xff=(-H "X-Forwarded-For: $2")
	status=$(curl -s -o "$T/body" -w '%{http_code}' --interface "$1" \
	    "${xff[@]}" -H 'Content-Type: application/json' \
	    --data-binary '{"username":"nobody-here","password":"wrong"}' \
	    "http://127.0.0.1:$FPORT$(path login)")
	body=$(cat "$T/body")
}

for i in 1 2 3; do
	login_from 127.0.0.2 "6.6.6.$i"
	check_status 401 "proxy: attempt $i of 127.0.0.2 (inventing 6.6.6.$i) is counted and answered 401"
done
login_from 127.0.0.2 "7.7.7.7"
check_status 429 "proxy: a new invented left-most X-Forwarded-For entry does not reset the count (429)"
login_from 127.0.0.2
check_status 429 "proxy: the real client 127.0.0.2 is limited"
login_from 127.0.0.3
check_status 401 "proxy: another real client (127.0.0.3) behind the same proxy has its own count"
check "proxy: the counter holds the real clients, not the proxy" \
    test "$(db_sql -ro "SELECT client FROM attempts ORDER BY client" | paste -sd' ')" = "127.0.0.2 127.0.0.3"

# Without the proxy trusted, everybody behind it is one client: the proxy.
start_server AUTH_RATE_LOGIN=3 AUTH_DB="$(db_new untrusted)" \
    AUTH_RATE_WINDOW="$(pick_window)"
sed -i "s/\"port\" => [0-9]*/\"port\" => $PORT/" "$T/front/lighttpd.conf"
stop_front
lighttpd -D -f "$T/front/lighttpd.conf" >>"$T/front.log" 2>&1 &
FRONT_PID=$!
for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$FPORT/" && break; sleep 0.05; done
for i in 1 2 3; do login_from "127.0.0.$((i + 1))"; done
login_from 127.0.0.5
check_status 429 "proxy: untrusted, X-Forwarded-For is ignored and the proxy is the one client counted"

finish
