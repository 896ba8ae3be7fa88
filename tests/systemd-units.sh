#!/usr/bin/env bash
# tests/systemd-units.sh [PACKAGE.deb]
#
# The systemd units (systemd/corners-auth@.socket and @.service) running
# under a real systemd, as the Debian package installs them: the rest of
# the suite has no systemd (it starts the FastCGI processes with
# spawn-fcgi), and `systemd-analyze verify` only reads the files.
#
# It boots systemd as PID 1 of a container (systemd-nspawn, package
# systemd-container) whose root is an overlay of this machine's / on a
# tmpfs, with a network of its own (its loopback only), all in a mount
# namespace of its own: nothing it does reaches this machine's files,
# /run or ports, and all of it goes when the container stops.  Inside, it
# installs the package (PACKAGE.deb, or one `make deb` builds),
# enables corners-auth@NAME.socket for the five endpoints, serves
# nginx.conf.example (the package's paths, nginx.service's pid file,
# nothing else changed) with Debian's nginx.service, and checks over HTTP
# on 127.0.0.1 with curl: register 201, login, me, refresh and logout 200,
# each endpoint's process started by its socket, run as www-data with the
# settings of /etc/default/corners-auth and the unit's hardening in effect,
# answering request after request (Accept=no), the database
# /var/lib/corners-auth/auth.db made 0600, and what systemctl status and
# the journal say.
#
# Run it as root: about 5 s given the package, 15 s when it runs `make
# deb` (Debian 12, 2 cores).  Checked where PID 1 is not systemd (a
# host that boots with systemd may need nspawn run in a delegated
# scope).  It skips (exit 0, saying why) where systemd cannot be
# booted: not root, no systemd-nspawn or nsenter, or a container that does
# not come up.  It stops the container and removes its temporary directory
# however it ends, but SIGKILL.  The last line is "N passed, N failed".
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
names="register login refresh me logout"
pass=0 fail=0

skip() {
	# CI sets SYSTEMD_UNITS_REQUIRED: there a skip would pass unseen.
	if [ -n "${SYSTEMD_UNITS_REQUIRED:-}" ]; then
		echo "FAIL - cannot run here: $*"
		echo "0 passed, 1 failed"
		exit 1
	fi
	echo "# skipped: $*"
	echo "0 passed, 0 failed"
	exit 0
}
ok() {
	pass=$((pass + 1))
	echo "ok - $1"
}
not_ok() {
	fail=$((fail + 1))
	echo "FAIL - $1"
	[ -z "${2:-}" ] || printf '%s\n' "$2" | sed 's/^/#   /'
	return 1
}
# check DESCRIPTION COMMAND...: passes if COMMAND succeeds; returns as it.
check() {
	local what=$1
	shift
	if "$@"; then ok "$what"; else not_ok "$what"; fi
}
# check_eq DESCRIPTION EXPECTED ACTUAL [MORE]: passes if ACTUAL is
# EXPECTED; if not, says both, and MORE.
check_eq() {
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		not_ok "$1" "expected: $2"$'\n'"got:      $3${4:+$'\n'$4}"
	fi
}

[ "$(id -u)" = 0 ] || skip "needs root (it boots systemd in a container)"
[ -x /lib/systemd/systemd ] || skip "no /lib/systemd/systemd"
command -v systemd-nspawn >/dev/null ||
    skip "no systemd-nspawn (apt-get install systemd-container)"
for c in unshare nsenter jq; do
	command -v $c >/dev/null || skip "no $c"
done
[ -x /usr/sbin/nginx ] || skip "no nginx (apt-get install nginx)"
command -v curl >/dev/null || skip "no curl (apt-get install curl)"

T=$(mktemp -d /tmp/corners-auth-systemd.XXXXXX)
nspawn_pid= leader= built=
cleanup() {
	set +e
	if [ -n "$nspawn_pid" ] && kill -0 "$nspawn_pid" 2>/dev/null; then
		# nspawn asks the container's systemd to power off; then force.
		kill "$nspawn_pid"
		for _ in $(seq 100); do
			kill -0 "$nspawn_pid" 2>/dev/null || break
			sleep 0.2
		done
		[ -z "$leader" ] || kill -KILL "$leader" 2>/dev/null
		kill -KILL "$nspawn_pid" 2>/dev/null
	fi
	wait 2>/dev/null
	rm -rf "$T"
	[ -z "$built" ] || rm -rf "$top/.deb" "$built"
}
trap cleanup EXIT
trap 'exit 143' TERM INT HUP

# --- the package -----------------------------------------------------------
deb=${1:-}
if [ -z "$deb" ]; then
	echo "# building the package (make deb)"
	if ! make -C "$top" deb >"$T/make-deb.log" 2>&1; then
		tail -20 "$T/make-deb.log" >&2
		echo "systemd-units: make deb failed" >&2
		exit 1
	fi
	built=$(ls "$top"/corners-auth_*.deb)
	deb=$built
fi
[ -f "$deb" ] || { echo "systemd-units: no package $deb" >&2; exit 1; }
mkdir -p "$T/c"
cp "$deb" "$T/corners-auth.deb"

# nginx.conf.example with the package's paths (as debian/rules makes the
# snippet) and the pid file Debian's nginx.service expects.
sed -e 's|^pid .*|pid /run/nginx.pid;|' \
    -e 's|/usr/local/corners-auth/share/corners-auth/|/usr/share/corners-auth/|' \
    -e 's|/usr/local/corners-auth/cgi-bin/|/usr/lib/cgi-bin/corners-auth/|' \
    "$top/nginx.conf.example" >"$T/nginx.conf"

# --- the container -------------------------------------------------------------
# Run in a mount namespace of its own: a tmpfs over /run keeps nspawn's
# state off this machine's /run, the overlay's upper layer is a tmpfs, and
# what the container starts with is written into it: the package, the
# nginx configuration, the settings (a cheap hash for the test), and
# timers.target masked (no apt-daily and the like), no policy-rc.d, no
# man-db index rebuilt by dpkg.  It boots to
# basic.target: none of this machine's enabled services start.
cat >"$T/boot.sh" <<'EOF'
set -e
c=$1
mount -t tmpfs -o mode=0755 tmpfs "$c"
mkdir "$c/upper" "$c/work" "$c/root"
mount -t overlay overlay \
    -o "lowerdir=/,upperdir=$c/upper,workdir=$c/work" "$c/root"
mount -t tmpfs -o mode=0755 tmpfs /run
r=$c/root
mkdir -p "$r/var/tmp/corners-auth-test"
cp "$c/../corners-auth.deb" "$r/var/tmp/corners-auth-test/"
cp "$c/../nginx.conf" "$r/etc/nginx/nginx.conf"
echo AUTH_PBKDF2_ITERATIONS=1000 >"$r/etc/default/corners-auth"
ln -sfn /dev/null "$r/etc/systemd/system/timers.target"
# A container image's policy-rc.d ("exit 101": no service started or
# stopped by a package) is no part of a booted system.
rm -f "$r/usr/sbin/policy-rc.d"
# man-db's trigger would rebuild its index on each dpkg run (seconds).
rm -f "$r/var/lib/man-db/auto-update"
exec systemd-nspawn -D "$r" --register=no --keep-unit --link-journal=no \
    --private-network -q -b -- --unit=basic.target
EOF
setsid unshare --mount --propagation private bash "$T/boot.sh" "$T/c" \
    </dev/null >"$T/console.log" 2>&1 &
nspawn_pid=$!

# The container's PID 1: nspawn's child whose pid in its own namespace is 1.
for _ in $(seq 150); do
	for p in $(pgrep -P "$nspawn_pid"); do
		ns=$(awk '/^NSpid:/ { print $NF }' "/proc/$p/status" 2>/dev/null)
		[ "$ns" = 1 ] && leader=$p
	done
	[ -n "$leader" ] && break
	kill -0 "$nspawn_pid" 2>/dev/null || break
	sleep 0.2
done
if [ -z "$leader" ]; then
	sed 's/^/#   /' "$T/console.log"
	skip "systemd-nspawn did not start a container here (its output above)"
fi

# ct COMMAND...: COMMAND in the container, as root, in a clean environment.
ct() {
	nsenter -t "$leader" -a -- env -i \
	    PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "$@"
}

state=
boot_end=$((SECONDS + 90))	# the whole wait, however systemctl waits
while [ "$SECONDS" -lt "$boot_end" ]; do
	state=$(ct timeout 30 systemctl is-system-running --wait 2>/dev/null) && break
	case $state in running|degraded) break ;; esac
	kill -0 "$nspawn_pid" 2>/dev/null || break
	sleep 0.2
done
case $state in
running|degraded) ;;
*)
	sed 's/^/#   /' "$T/console.log"
	skip "systemd did not boot in the container (state \"$state\"," \
	    "console above)"
	;;
esac
echo "# systemd booted in a container: $(ct systemctl --version | head -1)"
if [ "$state" = degraded ]; then
	echo "# (degraded, not by corners-auth:" \
	    "$(ct systemctl --failed --plain --no-legend | awk '{ print $1 }'))"
fi

# --- install, enable --------------------------------------------------------------
out=$(ct dpkg -i /var/tmp/corners-auth-test/corners-auth.deb 2>&1)
check "dpkg -i the package" test $? = 0 || printf '%s\n' "$out"
check_eq "/var/lib/corners-auth: www-data's, 0700" www-data:www-data:700 \
    "$(ct stat -c %U:%G:%a /var/lib/corners-auth)"
for e in $names; do
	out=$(ct systemctl enable --now "corners-auth@$e.socket" 2>&1)
	check "systemctl enable --now corners-auth@$e.socket" test $? = 0 ||
	    printf '%s\n' "$out"
done
for e in $names; do
	check_eq "$e: corners-auth@$e.socket listening" active \
	    "$(ct systemctl is-active "corners-auth@$e.socket")"
	check_eq "$e: /run/corners-auth/$e.sock, socket www-data:www-data 660" \
	    "socket www-data:www-data 660" \
	    "$(ct stat -c '%F %U:%G %a' "/run/corners-auth/$e.sock")"
	check_eq "$e: no process before the first request" inactive \
	    "$(ct systemctl is-active "corners-auth@$e.service")"
done

out=$(ct systemctl restart nginx.service 2>&1)
check "nginx.service with nginx.conf.example" test $? = 0 || {
	printf '%s\n' "$out"
	ct journalctl -u nginx.service --no-pager | tail -20
}

# --- the API over HTTP ---------------------------------------------------------
# req METHOD NAME [BODY [TOKEN]]: sets $status and $body.
req() {
	local r
	r=$(ct curl -s -X "$1" -w '\n%{http_code}' \
	    ${4:+-H "Authorization: Bearer $4"} \
	    ${3:+-H 'Content-Type: application/json' --data-binary "$3"} \
	    "http://127.0.0.1/api/v1/auth/$2")
	status=${r##*$'\n'}
	body=${r%$'\n'*}
}
user='{"username":"systemd","email":"systemd@example.com","password":"s3cure!Pass"}'
req POST register "$user"
check_eq "register: 201" 201 "$status" "$body"
req POST login '{"username":"systemd","password":"s3cure!Pass"}'
check_eq "login: 200" 200 "$status" "$body"
access=$(printf '%s' "$body" | jq -r .access 2>/dev/null)
refresh=$(printf '%s' "$body" | jq -r .refresh 2>/dev/null)
req GET me '' "$access"
check_eq "me: 200, the user" "200 systemd" \
    "$status $(printf '%s' "$body" | jq -r .username 2>/dev/null)" "$body"
req POST refresh "{\"refresh\":\"$refresh\"}"
check_eq "refresh: 200" 200 "$status" "$body"

# --- the processes -----------------------------------------------------------------
mainpid() { ct systemctl show -P MainPID "corners-auth@$1.service"; }
for e in register login refresh me; do
	p=$(mainpid "$e")
	check_eq "$e: corners-auth@$e.service running, started by its socket" \
	    "active corners-auth@$e.socket" \
	    "$(ct systemctl is-active "corners-auth@$e.service") $(ct systemctl show -P TriggeredBy "corners-auth@$e.service")"
	check_eq "$e: runs as www-data:www-data" www-data:www-data \
	    "$(ct ps -o user=,group= -p "$p" | awk '{ print $1 ":" $2 }')"
	check_eq "$e: /usr/lib/cgi-bin/corners-auth/$e, one process" \
	    "/usr/lib/cgi-bin/corners-auth/$e 1" \
	    "$(ct readlink "/proc/$p/exe") $(ct pgrep -cx "$e")"
	check "$e: has AUTH_PBKDF2_ITERATIONS from /etc/default/corners-auth" \
	    ct grep -qxz AUTH_PBKDF2_ITERATIONS=1000 "/proc/$p/environ"
done
check_eq "the database: /var/lib/corners-auth/auth.db, www-data's, 0600" \
    www-data:www-data:600 "$(ct stat -c %U:%G:%a /var/lib/corners-auth/auth.db)"

# The second request on a socket reaches the same process (Accept=no).
for e in me login; do
	before=$(mainpid "$e")
	if [ "$e" = me ]; then
		req GET me '' "$access"
	else
		req POST login '{"username":"systemd","password":"s3cure!Pass"}'
	fi
	check_eq "$e: a second request (200) answered by the same process" \
	    "200 $before 0" \
	    "$status $(mainpid "$e") $(ct systemctl show -P NRestarts "corners-auth@$e.service")"
done
req POST logout "{\"refresh\":\"$refresh\"}"
check_eq "logout: 200" 200 "$status" "$body"

# The unit's sandbox is in effect (nothing of it failed or was skipped in
# the container): read-only /, the database directory writable, a /tmp
# of its own, no new privileges, the seccomp filters, no capabilities.
p=$(mainpid me)
mi=$(ct cat "/proc/$p/mountinfo")
st=$(ct cat "/proc/$p/status")
check "me: / is read-only (ProtectSystem=strict)" \
    grep -qE '^[0-9]+ [0-9]+ [^ ]+ [^ ]+ / ro,' <<<"$mi"
check "me: /var/lib/corners-auth writable (ReadWritePaths=)" \
    grep -qE '^[0-9]+ [0-9]+ [^ ]+ [^ ]+ /var/lib/corners-auth rw,' <<<"$mi"
check "me: a /tmp of its own (PrivateTmp=)" \
    grep -qE 'systemd-private-[^ ]*corners-auth@me.service[^ ]*/tmp /tmp ' <<<"$mi"
check "me: NoNewPrivs, seccomp filters, no capabilities" \
    test "$(printf '%s\n' "$st" | awk '/^(NoNewPrivs|Seccomp|CapEff):/ { printf "%s ", $2 }')" \
    = "0000000000000000 1 2 "

# --- after a change of settings: the manual's restart, and a stop -------------
ct systemctl restart 'corners-auth@*.service'
req GET me '' "$access"
check_eq "me: after systemctl restart 'corners-auth@*.service', 200 from a new process" \
    "200 yes" "$status $([ "$(mainpid me)" != "$p" ] && echo yes)"
ct systemctl stop corners-auth@me.service 2>/dev/null
check_eq "me: systemctl stop, a clean stop (SIGTERM)" "success inactive" \
    "$(ct systemctl show -P Result corners-auth@me.service) $(ct systemctl is-active corners-auth@me.service)"
req GET me '' "$access"
check_eq "me: the next request starts it again (200)" "200 active" \
    "$status $(ct systemctl is-active corners-auth@me.service)"

# --- what systemd says ------------------------------------------------------------
echo "# systemctl status corners-auth@me.socket corners-auth@me.service:"
ct systemctl status --no-pager corners-auth@me.socket corners-auth@me.service |
    sed 's/^/#   /'
check "systemctl --failed: no corners-auth unit" \
    test -z "$(ct systemctl list-units --failed --plain --no-legend 'corners-auth@*')"
# The programs write to the journal (standard error) only what went wrong;
# systemd's own lines are warnings or worse only if a unit misbehaved.
warn=$(ct journalctl --no-pager -q -u 'corners-auth@*' | grep -v ' systemd\[1\]: ')
warn+=$(ct journalctl --no-pager -q -p warning -u 'corners-auth@*')
check_eq "the journal: nothing from the programs, no warning from systemd" "" "$warn"

# --- a database elsewhere -------------------------------------------------------
# AUTH_DB outside the unit's ReadWritePaths= is read-only to the process
# (ProtectSystem=strict) until a drop-in adds its directory, as the
# unit's comment and corners-auth(8) say.
ct sh -c 'mkdir -p /srv/corners-auth && chown www-data:www-data /srv/corners-auth &&
    chmod 0700 /srv/corners-auth &&
    echo AUTH_DB=/srv/corners-auth/auth.db >>/etc/default/corners-auth'
ct systemctl restart 'corners-auth@*.service'
user2='{"username":"elsewhere","email":"elsewhere@example.com","password":"s3cure!Pass"}'
req POST register "$user2"
check_eq "AUTH_DB=/srv/corners-auth/auth.db: 503, read-only to the process" \
    "503 yes" "$status $(ct journalctl -q -u corners-auth@register.service |
    grep -q 'db: /srv/corners-auth/auth.db: Read-only file system' && echo yes)"
ct sh -c 'mkdir -p /etc/systemd/system/corners-auth@.service.d &&
    printf "[Service]\nReadWritePaths=/srv/corners-auth\n" \
    >/etc/systemd/system/corners-auth@.service.d/db.conf &&
    systemctl daemon-reload && systemctl restart "corners-auth@*.service"'
req POST register "$user2"
check_eq "AUTH_DB elsewhere with ReadWritePaths= in a drop-in: 201, the database 0600" \
    "201 www-data:www-data:600" \
    "$status $(ct stat -c %U:%G:%a /srv/corners-auth/auth.db)" "$body"
ct sh -c 'rm -r /etc/systemd/system/corners-auth@.service.d &&
    sed -i /^AUTH_DB=/d /etc/default/corners-auth &&
    systemctl daemon-reload && systemctl restart "corners-auth@*.service"'

# --- the package's life: upgrade, removal, reinstall, purge ----------------------
# The units are templates, which debhelper's maintainer scripts leave
# alone: the package's own do what they would do for other units.
before=$(for e in $names; do mainpid "$e"; done)
out=$(ct dpkg -i /var/tmp/corners-auth-test/corners-auth.deb 2>&1)
check "upgrade: dpkg -i the package again" test $? = 0 || printf '%s\n' "$out"
after= exes=
for e in $names; do
	p=$(mainpid "$e")
	after+="$p"$'\n'
	exes+="$e: $(ct readlink "/proc/$p/exe")"$'\n'
done
check "upgrade: the running processes restarted (new pids)" \
    test -z "$(comm -12 <(sort <<<"$before") <(sort <<<"$after"))"
check_eq "upgrade: no process runs the replaced (deleted) executable" "" \
    "$(grep -F '(deleted)' <<<"$exes")"
req GET me '' "$access"
check_eq "upgrade: me with the token from before, 200" 200 "$status" "$body"
out=$(ct dpkg -r corners-auth 2>&1)
check "remove: dpkg -r" test $? = 0 || printf '%s\n' "$out"
check_eq "remove: no corners-auth unit active or failed" "" \
    "$(ct systemctl list-units --plain --no-legend 'corners-auth@*')"
check_eq "remove: no corners-auth process" 0 \
    "$(ct pgrep -cf '^/usr/lib/cgi-bin/corners-auth/')"
out=$(ct dpkg -i /var/tmp/corners-auth-test/corners-auth.deb 2>&1)
check "reinstall: dpkg -i" test $? = 0 || printf '%s\n' "$out"
listening=
for e in $names; do
	listening+="$(ct systemctl is-active "corners-auth@$e.socket") "
done
check_eq "reinstall: the enabled sockets listen again" \
    "active active active active active " "$listening"
req POST login '{"username":"systemd","password":"s3cure!Pass"}'
check_eq "reinstall: login, 200 (the database kept)" 200 "$status" "$body"
ct dpkg -r corners-auth >/dev/null 2>&1
out=$(ct dpkg -P corners-auth 2>&1)
check "purge: dpkg -P" test $? = 0 || printf '%s\n' "$out"
check_eq "purge: the sockets' enablement gone, the database kept" \
    "yes" "$(ct sh -c 'ls /etc/systemd/system/sockets.target.wants/corners-auth@* 2>/dev/null; test -f /var/lib/corners-auth/auth.db && echo yes')"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
