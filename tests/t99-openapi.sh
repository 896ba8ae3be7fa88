#!/usr/bin/env bash
# openapi.json: the document itself (its structure as OpenAPI 3.1 says, each
# Schema Object valid Draft 2020-12, every $ref resolving, the paths and
# methods those of cgi-bin/*.c), served byte for byte at
# /api/v1/openapi.json by the server under test, every path and method
# answering as it documents them, its length limits the executables' own,
# and tests/openapi-check.py (which lib.sh's finish runs over every answer
# of every test file) refusing what the document does not allow.
. "$(dirname "$0")/lib.sh"

# checker_lines OUTPUT: count the checker's "ok -"/"FAIL -" lines as checks.
checker_lines() {
	local line
	while IFS= read -r line; do
		case $line in
		"ok - "*) PASS=$((PASS + 1)); echo "$line" ;;
		"FAIL - "*) FAIL=$((FAIL + 1)); echo "$line" ;;
		?*) echo "# $line" ;;
		esac
	done <<<"$1"
}

# --- 1. the document ----------------------------------------------------------

out=$(/usr/bin/python3 "$TOP/tests/openapi-check.py" document "$OPENAPI" \
    "$TOP/cgi-bin" 2>&1)
rc=$?
checker_lines "$out"
check "the document's checks all ran (exit $rc, $(grep -c '^ok - ' <<<"$out") passed)" \
    test "$rc" = 0 -a "$(grep -c '^ok - ' <<<"$out")" -ge 14

# --- 2. served at /api/v1/openapi.json, byte for byte ------------------------

start_server
status=$(curl -s -o "$T/body" -D "$T/hdrs" -w '%{http_code}' \
    "http://127.0.0.1:$PORT/api/v1/openapi.json")
body=$(cat "$T/body")
hdrs=$(tr -d '\r' <"$T/hdrs")
api_record GET /api/v1/openapi.json
check_status 200 "GET /api/v1/openapi.json is 200 ($SERVER)"
check "GET /api/v1/openapi.json is openapi.json byte for byte ($SERVER)" \
    cmp -s "$T/body" "$OPENAPI"
check_header Content-Type application/json \
    "GET /api/v1/openapi.json is application/json ($SERVER)"

# --- 3. every path, every method ------------------------------------------------

register openapi-user openapi@example.com 'Sw0rdfish-Lantern'
check_status 201 "setup: a user to send tokens of"
tok=$access
# The methods a path serves, as the document says (x-allow).
allow_of() {
	jq -r --arg p "/api/v1/auth/$1" '.paths[$p]["x-allow"]' "$OPENAPI"
}
for target in register login refresh logout me me/email me/password; do
	allow=$(allow_of "$target")
	for m in GET HEAD POST PUT PATCH DELETE OPTIONS; do
		# A body where the method has one (lighttpd refuses a GET with
		# one, and wants a length on the others).
		data='{}'
		case $m in GET|HEAD|OPTIONS) data=- ;; esac
		for auth in none bad good; do
			case $auth in
			none) a=() ;;
			bad) a=(-H "Authorization: Bearer not.a.token") ;;
			good) a=(-H "Authorization: Bearer $tok") ;;
			esac
			req "$m" "$target" "$data" "${a[@]}"
			case ", $allow, " in
			*", $m, "*)
				check "$m $target ($auth token) is not 404 or 405 (got $status)" \
				    test "$status" != 404 -a "$status" != 405 ;;
			*)
				check_status 405 "$m $target ($auth token) is 405"
				check_header Allow "$allow" "$m $target: Allow: $allow" ;;
			esac
		done
	done
done
# Paths below an executable that it does not serve: 404, whatever the method.
# (Not "me/" with its final slash: busybox answers that one itself, as a
# directory.)
for target in me/xyz me/email/x register/x logout/everywhere; do
	for m in GET POST; do
		data='{}'
		[ "$m" = GET ] && data=-
		req "$m" "$target" "$data" -H "Authorization: Bearer $tok"
		check_status 404 "$m $target is 404"
		check_same '{"message":"Not found.","details":null}' \
		    "$m $target is {\"message\": \"Not found.\", \"details\": null}"
	done
done

# --- 4. the length limits are the executables' --------------------------------

# Each string field with a minimum above 0 is sent one code point short,
# each with a maximum one code point over ("é", two bytes each): a 422
# whose error for that field names the documented limit.  (The checker
# also compares every 422's ctx with the document, in every file.)
limits=$(jq -r '
	.paths | to_entries[] | .key as $p | .value | to_entries[]
	| select(.value | type == "object" and has("requestBody"))
	| .key as $m | .value.requestBody.content["application/json"].schema["$ref"]
	| ltrimstr("#/components/schemas/") as $s
	| [$p, $m, $s] | @tsv' "$OPENAPI")
n=0
while IFS=$'\t' read -r p m s; do
	target=${p#/api/v1/auth/}
	while IFS=$'\t' read -r field min max; do
		for kind in min max; do
			if [ "$kind" = min ]; then
				[ "$min" -gt 0 ] || continue
				len=$((min - 1)) limit=$min key=min_length
			else
				[ -n "$max" ] || continue
				len=$((max + 1)) limit=$max key=max_length
			fi
			data=$(jq -cn --arg f "$field" --arg v "$(rep é "$len")" \
			    '{($f): $v}')
			req "${m^^}" "$target" "$data" -H "Authorization: Bearer $tok"
			n=$((n + 1))
			check_json "[.details.errors[] | select(.loc[2] == \"$field\") | .ctx.$key][0]" \
			    "$limit" "${m^^} $target: $field of $len code points: 422 naming $key $limit"
		done
	done < <(jq -r --arg s "$s" '.components.schemas[$s]
	    | .properties | to_entries[]
	    | select(.value.type == "string" or .value.type == ["string", "null"])
	    | [.key, (.value.minLength // 0), (.value.maxLength // "")] | @tsv' \
	    "$OPENAPI")
done <<<"$limits"
check "the length limits of every request body were tried ($n)" test "$n" -ge 20

# --- 5. the checker refuses what the document does not allow ------------------

# bad_answer STATUS HEADERS BODY FRAGMENT "desc" [METHOD TARGET]: a made-up
# answer (default: POST login) recorded apart; the checker must fail it
# with a message holding FRAGMENT.
JSONH=$'HTTP/1.1 %s\nContent-Type: application/json\nCache-Control: no-store\nX-Content-Type-Options: nosniff'
declare -a bad_where=() bad_frag=() bad_desc=()
bad_answer() {
	status=$1 hdrs=$2 body=$3
	API_RECORDS=$T/bad.rec api_record "${6:-POST}" "${7:-login}"
	bad_where+=("t99-openapi.sh:${BASH_LINENO[0]}")
	bad_frag+=("$4")
	bad_desc+=("$5")
}
h200=$(printf "$JSONH" "200 OK")
pair='"access":"a.b.c","refresh":"d.e.f"'
bad_answer 201 "$h200" "{$pair,\"user_id\":1}" "'user_id' was unexpected" \
    "an undocumented field in register's 201" POST register
bad_answer 418 "$h200" '{"message":"x","details":null}' \
    "status 418 is not documented" "an undocumented status"
bad_answer 200 "$h200" "{\"access\":\"a.b.c\"}" "'refresh' is a required property" \
    "login's 200 without its refresh token"
bad_answer 401 "$(printf "$JSONH" 401)" '{"message":"Unauthorized","details":null}' \
    "header www-authenticate missing" "me's 401 without WWW-Authenticate" GET me
bad_answer 401 "$(printf "$JSONH" 401)"$'\nWWW-Authenticate: Bearer' \
    '{"message":"Invalid or expired refresh token.","details":null}' \
    "undocumented header www-authenticate" "WWW-Authenticate on logout's 401" \
    POST logout
bad_answer 405 "$(printf "$JSONH" 405)"$'\nAllow: GET' \
    '{"message":"Method not allowed.","details":null}' "x-allow is 'POST'" \
    "a 405 whose Allow is not the path's" GET login
bad_answer 429 "$(printf "$JSONH" 429)"$'\nRetry-After: 30' \
    '{"message":"Too many refresh attempts. Please try again later.","details":{"retry_after":29}}' \
    "details.retry_after 29 but Retry-After 30" "a 429 whose two retry_after differ" \
    POST refresh
bad_answer 503 "$(printf "$JSONH" 503)" \
    '{"message":"Service temporarily unavailable.","details":null}' \
    "header retry-after missing" "a 503 without Retry-After"
bad_answer 422 "$(printf "$JSONH" 422)" \
    '{"message":"Validation error.","details":{"errors":[{"type":"string_too_short","loc":["body","payload","username"],"msg":"String should have at least 4 characters","ctx":{"min_length":4}}]}}' \
    "ctx min_length 4, the request schema says minLength 3" \
    "a 422 whose limit is not the documented one" POST register
bad_answer 422 "$(printf "$JSONH" 422)" \
    '{"message":"Validation error.","details":{"errors":[{"type":"string_too_short","loc":["body","payload","password"],"msg":"String should have at least 8 characters"}]}}' \
    "body at details/errors/0" "a 422 error without its ctx" POST register
bad_answer 400 "$(printf "$JSONH" 400)" \
    '{"message":"Email is taken.","details":null}' "body at message" \
    "a 400 message me/email does not have" PATCH me/email
bad_answer 200 $'HTTP/1.1 200 OK\nContent-Type: text/html' '<html>hi</html>' \
    "not a JSON answer" "an HTML answer on an API path"
bad_answer 200 "$h200" "{$pair,\"access\":\"a.b.c\"}" "duplicate key" \
    "a body with a duplicate key"
bad_answer 200 "$h200" '{"id":1,"username":"u"}' "'email' is a required property" \
    "me's profile without its email" GET me
bad_answer 200 "$(printf "$JSONH" 200)"$'\nCache-Control: private' \
    '{"id":1,"username":"u","email":"u@example.com"}' "header cache-control" \
    "an answer that may be cached" GET me
# Not failures: a documented answer, and a server's own page the test
# expected (OPENAPI_SKIP).
status=200 hdrs=$h200 body="{$pair}"
API_RECORDS=$T/bad.rec api_record POST login
status=413 hdrs=$'HTTP/1.1 413 Request Entity Too Large\nContent-Type: text/html' \
    body='<html>413</html>'
OPENAPI_SKIP="the server's own 413 page" API_RECORDS=$T/bad.rec \
    api_record POST login
out=$(/usr/bin/python3 "$TOP/tests/openapi-check.py" responses "$OPENAPI" \
    "$T/bad.rec" 2>&1)
for i in "${!bad_where[@]}"; do
	line=$(grep -F "(${bad_where[i]})" <<<"$out")
	check "the checker refuses ${bad_desc[i]}" \
	    eval '[[ "$line" == "FAIL - "*"${bad_frag[i]}"* ]]'
	[[ "$line" == "FAIL - "*"${bad_frag[i]}"* ]] ||
	    echo "# got: ${line:-nothing} (want: ${bad_frag[i]})"
done
check "the checker fails exactly those ${#bad_where[@]}" \
    test "$(grep -c '^FAIL - ' <<<"$out")" = "${#bad_where[@]}"
check "the checker passes the documented answer and skips the marked page" \
    grep -qx "ok - openapi: 1 answer matches openapi.json (1 skipped: the server's own 413 page)" <<<"$out"
grep -x 'ok - .*' <<<"$out" | sed 's/^/# /'

stop_server
finish
