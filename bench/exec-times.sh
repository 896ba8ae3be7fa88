#!/usr/bin/env bash
# bench/exec-times.sh [N]: time each executable run directly as a CGI
# program N times (default 500; login 20 times, at the real default cost of
# 600000 iterations) on a private database, against a static hello-world
# program run the same way.  A first measurement, not the full benchmark:
# the fork and exec from bash are in every figure, the baseline's too.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
n=${1:-500}
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
export AUTH_DB=$d/auth.db REMOTE_ADDR=127.0.0.1 REQUEST_METHOD=POST
export AUTH_RATE_LOGIN=1000000 AUTH_RATE_REFRESH=1000000
unset AUTH_PBKDF2_ITERATIONS HTTP_AUTHORIZATION

printf 'int main(void) { return 0; }\n' >"$d/hello.c"
${CC:-cc} -O2 -static -o "$d/hello" "$d/hello.c"

post() {	# post NAME BODY: write BODY to a file, set CONTENT_LENGTH
	printf '%s' "$2" >"$d/$1.body"
	wc -c <"$d/$1.body" | tr -d ' '
}
# per COUNT CMD...: microseconds per run of CMD, stdout discarded
per() {
	local count=$1 t0 t1 i
	shift
	t0=$(date +%s%N)
	for ((i = 0; i < count; i++)); do "$@" >/dev/null; done
	t1=$(date +%s%N)
	echo $(((t1 - t0) / count / 1000))
}

len=$(post register '{"username":"janedoe","email":"jane@example.com","password":"s3cure!Pass"}')
out=$(CONTENT_LENGTH=$len "$top/cgi-bin/register" <"$d/register.body" | tail -n 1)
access=$(printf '%s' "$out" | jq -r .access)
refresh=$(printf '%s' "$out" | jq -r .refresh)
rlen=$(post refresh "{\"refresh\":\"$refresh\"}")
llen=$(post login '{"username":"janedoe","password":"s3cure!Pass"}')

# Every program is started the same way: sh -c, its environment, exec.
run='CONTENT_LENGTH=$0 REQUEST_METHOD=$1 HTTP_AUTHORIZATION=$2 exec "$3" <"$4"'
hello=$(per "$n" sh -c "$run" 0 GET "" "$d/hello" /dev/null)
me=$(per "$n" sh -c "$run" 0 GET "Bearer $access" "$top/cgi-bin/me" /dev/null)
ref=$(per "$n" sh -c "$run" "$rlen" POST "" "$top/cgi-bin/refresh" "$d/refresh.body")
login=$(per 20 sh -c "$run" "$llen" POST "" "$top/cgi-bin/login" "$d/login.body")
printf '| run directly, %s times | µs per request | × hello |\n|---|---:|---:|\n' "$n"
for row in "static hello-world:$hello" "me:$me" "refresh:$ref" "login (600000 iterations):$login"; do
	name=${row%:*}
	us=${row##*:}
	printf '| %s | %s | %s |\n' "$name" "$us" "$(awk "BEGIN { printf \"%.1f\", $us / $hello }")"
done
