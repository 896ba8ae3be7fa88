#!/usr/bin/env bash
# Refresh rotation: SPEC "Refresh rotation" (AUTH_ROTATE_REFRESH=1) over
# HTTP: a new pair, the presented token spent; presented again within
# AUTH_REFRESH_REUSE_GRACE a retry (a new pair), later theft (401, every
# token of the user revoked); off by default ({"access"} only, refreshed
# again and again); a simplejwt-made token accepted and spent; sixteen
# refreshes with one token at once.
# any-cgi-server
. "$(dirname "$0")/lib.sh"

PW='s3cure!Pass'
REFRESH_401='Invalid or expired refresh token.'

# pair_of USER: the last answer is 200 with exactly {"access", "refresh"},
# signed with the key, of the right types, naming USER; sets $access and
# $refresh.
pair_of() {
	tokens
	[ "$status" = 200 ] &&
	    [ "$(printf '%s' "$body" | jq -c keys)" = '["access","refresh"]' ] &&
	    [ "$(claim "$access" .token_type) $(claim "$refresh" .token_type)" = "access refresh" ] &&
	    [ "$(claim "$access" .user_id) $(claim "$refresh" .user_id)" = "$1 $1" ] &&
	    [ "$(hs256 "${access%.*}")" = "${access##*.}" ] &&
	    [ "$(hs256 "${refresh%.*}")" = "${refresh##*.}" ]
}

# --- off (the default) ----------------------------------------------------------------

start_server
register janedoe jane@example.com "$PW"
check_status 201 "rotation off: setup: register janedoe"
r0=$refresh
jid=$(claim "$r0" .user_id)
bad=
for i in 1 2 3 4 5; do
	refresh_with "$r0"
	[ "$status" = 200 ] && [ "$(printf '%s' "$body" | jq -c keys)" = '["access"]' ] ||
	    bad="$bad [$i: $status $body]"
done
check "rotation off (the default): refresh answers {\"access\"} only, five times with one token ($bad)" \
    test -z "$bad"
start_server AUTH_ROTATE_REFRESH=0
refresh_with "$r0"
check "rotation off: AUTH_ROTATE_REFRESH=0 is the same ({\"access\"} only)" \
    eval '[ "$status" = 200 ] && [ "$(printf "%s" "$body" | jq -c keys)" = "[\"access\"]" ]'

# --- on: a new pair, the presented token spent ------------------------------------------

start_server AUTH_ROTATE_REFRESH=1 AUTH_REFRESH_REUSE_GRACE=1
# The token is spent in a second between these two.
before=$(date +%s)
refresh_with "$r0"
after=$(date +%s)
check "rotation: refresh answers 200 {\"access\", \"refresh\"}, tokens of this user" pair_of "$jid"
a1=$access r1=$refresh
check "rotation: the new refresh token is another token (another jti)" \
    test "$(claim "$r1" .jti)" != "$(claim "$r0" .jti)"
authed GET me - "$a1"
check_status 200 "rotation: the new access token works (me: 200)"
# Within the grace (1 s here): a retry, answered as the first time; in
# the grace's last second when the token was spent in the second before.
if [ "$(date +%s)" -le $((before + 1)) ]; then
	sleep_until $((before + 1))
	refresh_with "$r0"
	check "rotation: presented again within AUTH_REFRESH_REUSE_GRACE (1 s after it was spent) it answers a new pair (a retry)" \
	    pair_of "$jid"
	a2=$access r2=$refresh
	check "rotation: the retry's pair is new (another jti than the first answer's)" \
	    test "$(claim "$r2" .jti)" != "$(claim "$r1" .jti)" -a "$(claim "$a2" .jti)" != "$(claim "$a1" .jti)"
else
	echo "# rotation: the grace's last second was gone before the retry; retried at once"
	refresh_with "$r0"
	check "rotation: presented again within the grace it answers a new pair" false
fi
# A later session of the same user, and another user.
login janedoe "$PW"
la=$access lr=$refresh
register bobsmith bob@example.com "$PW"
ba=$access br=$refresh
refresh_with "$r1"
check "rotation: the new refresh token is itself good for one refresh (a new pair)" pair_of "$jid"
a3=$access r3=$refresh
# After the grace: theft.
sleep_until $((after + 2))
refresh_with "$r0"
check_error 401 "$REFRESH_401" "rotation: presented after the grace, a spent token is 401 \"$REFRESH_401\""
for t in a1 a2 a3 la; do
	authed GET me - "${!t}"
	me_refused "rotation: after the reuse every access token of the user is revoked ($t)"
done
for t in r2 r3 lr; do
	refresh_with "${!t}"
	refresh_refused "rotation: after the reuse every refresh token of the user is revoked ($t)"
done
authed GET me - "$ba"
check_status 200 "rotation: another user's access token is untouched"
refresh_with "$br"
check "rotation: another user's refresh token is untouched (a new pair)" pair_of "$(claim "$br" .user_id)"
refresh_with "$r0"
refresh_refused "rotation: the stolen token stays refused"
login janedoe "$PW"
check_status 200 "rotation: the password still logs in"
a4=$access r4=$refresh
authed GET me - "$a4"
check_status 200 "rotation: ...with tokens that work (me: 200)"
refresh_with "$r4"
check "rotation: ...and refresh (a new pair)" pair_of "$jid"

# Logout and rotation.
login janedoe "$PW"
a5=$access r5=$refresh
logout_with "$r5"
check_answer 200 '{"message":"Logged out."}' "rotation: setup: logout"
refresh_with "$r5"
refresh_refused "rotation: a logged-out token is 401 (not a retry)"
login janedoe "$PW"
r6=$refresh
refresh_with "$r6"
check "rotation: setup: a token spent" pair_of "$jid"
r7=$refresh
logout_with "$r6"
check_answer 200 '{"message":"Logged out."}' "rotation: logout with a spent token is 200 (spent is no refusal)"
refresh_with "$r6"
refresh_refused "rotation: once logged out, a spent token within the grace is no retry (401)"
refresh_with "$r7"
check "rotation: logging out the spent token leaves the pair it was traded for working" pair_of "$jid"
refresh_with "$a5"
refresh_refused "rotation: an access token is 401"

# --- a simplejwt-made refresh token ------------------------------------------------------------

V=$TOP/tests/vectors.json
vsecret=$(jq -r .simplejwt_tokens.secret "$V")
vrefresh=$(jq -r .simplejwt_tokens.refresh_user42_exp2100.token "$V")
start_server AUTH_JWT_SECRET="$vsecret" AUTH_ROTATE_REFRESH=1 AUTH_REFRESH_REUSE_GRACE=1
import_social 42 DjangoUser django@example.com
ctl_done "simplejwt: setup: user 42 imported (import-django)"
before=$(date +%s)
refresh_with "$vrefresh"
after=$(date +%s)
tokens
check "simplejwt: a simplejwt-made refresh token (shared secret) is accepted with rotation on: 200 {\"access\", \"refresh\"}" \
    eval '[ "$status" = 200 ] && [ "$(printf "%s" "$body" | jq -c keys)" = "[\"access\",\"refresh\"]" ] &&
    [ "$(claim "$access" .user_id) $(claim "$refresh" .user_id)" = "42 42" ]'
va=$access vr=$refresh
authed GET me - "$va"
check_json .id 42 "simplejwt: the access token it was traded for names user 42 (me)"
refresh_with "$vrefresh"
check "simplejwt: presented again within the grace it is a retry (a new pair)" \
    eval '[ "$status" = 200 ] && [ "$(printf "%s" "$body" | jq -c keys)" = "[\"access\",\"refresh\"]" ]'
sleep_until $((after + 2))
refresh_with "$vrefresh"
refresh_refused "simplejwt: presented again after the grace it is spent: 401"
refresh_with "$vr"
refresh_refused "simplejwt: ...and, as a reuse, the pair it was traded for is revoked"

# --- sixteen refreshes with one token at once -----------------------------------------------------

N=16
start_server AUTH_ROTATE_REFRESH=1 AUTH_REFRESH_REUSE_GRACE=2
login janedoe "$PW"
c0=$refresh
R=$T/race
mkdir -p "$R"
printf '{"refresh":"%s"}' "$c0" >"$R/req"
cstart=$(date +%s)
race "$R" "$N" POST refresh
cend=$(date +%s)
echo "# rotation: $N refreshes with one token at once: $(race_tally "$R") (seconds $cstart..$cend)"
bad= jtis=
for i in $(seq "$N"); do
	status=$(cat "$R/status.$i") body=$(cat "$R/body.$i")
	pair_of "$jid" || bad="$bad [$i: $status $body]"
	jtis="$jtis $(claim "$refresh" .jti)"
	printf '%s\n' "$access" >"$R/access.$i"
	printf '%s\n' "$refresh" >"$R/refresh.$i"
done
check "rotation: $N refreshes with one token at once, within the grace, all answer a pair ($(race_tally "$R"))" \
    test -z "$bad"
[ -z "$bad" ] || echo "# ${bad:0:600}"
check "rotation: ...$N different refresh tokens" \
    test "$(printf '%s\n' $jtis | sort -u | wc -l)" = "$N"
bad=
for i in $(seq "$N"); do
	authed GET me - "$(cat "$R/access.$i")"
	[ "$status" = 200 ] || bad="$bad $i:$status"
done
check "rotation: every access token they handed out works (me: 200) ($bad)" test -z "$bad"
sleep_until $((cend + 3))
refresh_with "$c0"
refresh_refused "rotation: after the grace a second use of that token is 401"
bad=
for i in $(seq "$N"); do
	authed GET me - "$(cat "$R/access.$i")"
	me_refusal || bad="$bad a$i:$status"
	refresh_with "$(cat "$R/refresh.$i")"
	[ "$status" = 401 ] || bad="$bad r$i:$status"
done
check "rotation: ...and revokes the family: all $N pairs are 401 ($bad)" test -z "$bad"

# After the grace, many uses at once: every one 401, never a 5xx.
login janedoe "$PW"
d0=$refresh
refresh_with "$d0"
check "rotation: setup: a token spent" pair_of "$jid"
sleep_until $(( $(date +%s) + 3 ))
printf '{"refresh":"%s"}' "$d0" >"$R/req"
race "$R" "$N" POST refresh
check "rotation: $N uses at once after the grace are all 401, never a 5xx ($(race_tally "$R"))" \
    test "$(race_tally "$R")" = "401:$N"

finish
