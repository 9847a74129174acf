#!/bin/bash
# 45-persistence: a client goes back to the member it had (issue 16),
# against three real nginx, with round-robin that would otherwise spread
# its requests:
#   - cookie SRV insert: the first answer sets SRV=MEMBER (HttpOnly,
#     Cache-Control: private with nocache); every request with it goes to
#     that member, and gets no new cookie; a cookie naming no member is
#     replaced;
#   - the member disabled: its clients are sent elsewhere and told the
#     new member; drained: it keeps them (new clients go elsewhere);
#     down (its nginx stopped): elsewhere, with the new cookie;
#   - max-idle, max-life: the cookie carries its dates; a fresh one holds
#     (and is not set again), an idle or too old one does not;
#   - cookie SID prefix: the member's own SID gets "MEMBER~" first, and
#     the member sees its own value; rewrite: SID becomes the member;
#   - source-ip: every request from 127.0.0.1 goes to one member, the
#     profile's table (persist.PROFILE) shows the entry; disabled, the
#     client moves and the entry with it; a reload keeps the table.
. "$(dirname "$0")/lib.sh"
it_begin 45-persistence

VC=$((IT_PORT + 1)) VS=$((IT_PORT + 2)) VP=$((IT_PORT + 3))
VW=$((IT_PORT + 4)) VA=$((IT_PORT + 5))
B1=$((IT_PORT + 11)) B2=$((IT_PORT + 12)) B3=$((IT_PORT + 13))
require_free_ports $VC $VS $VP $VW $VA $B1 $B2 $B3
# /login sets the member's own cookie; /echo says what cookie it got
APP='location /login { add_header Set-Cookie "SID=abc; Path=/" always;
            return 200 "$name\n"; }
        location /echo { return 200 "$name $cookie_SID\n"; }'
backend() { nginx_backend "$1" "$2" "${APP//\$name/$1}"; }
backend m1 $B1
backend m2 $B2
backend m3 $B3

write_conf() {			# the configuration on stdout
	edged_conf_head
	cat <<CONF
application-profile cookie {
    type http
    persistence cookie SRV insert nocache httponly
}
application-profile sip {
    type http
    persistence source-ip timeout 1m mask /24
}
application-profile pfx { type http; persistence cookie SID prefix }
application-profile rw { type http; persistence cookie SID rewrite }
application-profile aged {
    type http
    persistence cookie SRV insert max-idle 1m max-life 1h
}
pool p {
    algorithm round-robin
    member m1 127.0.0.1:$B1
    member m2 127.0.0.1:$B2
    member m3 127.0.0.1:$B3
}
virtual-server c { listen 127.0.0.1:$VC; profile cookie; default-pool p }
virtual-server s { listen 127.0.0.1:$VS; profile sip; default-pool p }
virtual-server pf { listen 127.0.0.1:$VP; profile pfx; default-pool p }
virtual-server rw { listen 127.0.0.1:$VW; profile rw; default-pool p }
virtual-server ag { listen 127.0.0.1:$VA; profile aged; default-pool p }
${EXTRA:-}
CONF
}
F=$T/edged.conf
write_conf >"$F"
edged_start "$F" $VC $VS $VP $VW $VA

# as PORT PATH [CURL-ARGS...]: the member that answered (its body); the
# head in $T/head
as() {
	local port=$1 path=$2
	shift 2
	curl -s -D "$T/head" --max-time 5 "$@" "http://127.0.0.1:$port$path" |
	    tr -d '\n'
}
setcookie() { grep -i '^set-cookie:' "$T/head" | tr -d '\r' | cut -d' ' -f2-; }

# ---- cookie ----
first=$(as $VC /)
assert_match "the first answer names its member" \
    "^SRV=$first; path=/; HttpOnly$" "$(setcookie)"
assert_match "nocache: private" '^Cache-Control: private' \
    "$(grep -i '^cache-control' "$T/head" | tr -d '\r')"
got=""
for i in $(seq 6); do got="$got $(as $VC / -b "SRV=$first")"; done
assert_eq "with the cookie: always its member" \
    "$(printf " $first%.0s" $(seq 6))" "$got"
assert_eq "no new cookie while it holds" "" "$(setcookie)"
other=$(as $VC / -b SRV=nosuch)
assert_match "a cookie naming no member: replaced" "^SRV=$other;" \
    "$(setcookie)"

# drained: keeps its clients; new ones go elsewhere
ctl member drain p "$first" >/dev/null
assert_eq "drained: its persistent client stays" "$first" \
    "$(as $VC / -b "SRV=$first")"
new=""
for i in $(seq 6); do new="$new $(as $VC /)"; done
assert_no_match "drained: no new client gets it" " $first( |$)" "$new"
# disabled: its clients move, and are told
ctl member disable p "$first" >/dev/null
moved=$(as $VC / -b "SRV=$first")
assert_ne "disabled: the client moves" "$first" "$moved"
assert_match "disabled: and is told its new member" "^SRV=$moved;" \
    "$(setcookie)"
ctl member enable p "$first" >/dev/null
# down: the member's nginx stops
backend_stop "$moved"
after=$(as $VC / -b "SRV=$moved")
assert_ne "down: the client moves" "$moved" "$after"
assert_match "down: told its new member" "^SRV=$after;" "$(setcookie)"
case $moved in m1) backend m1 $B1 ;; m2) backend m2 $B2 ;;
    m3) backend m3 $B3 ;; esac

# ---- cookie prefix: the member's own cookie, with the member first ----
owner=$(as $VP /login)
assert_match "prefix: the member's cookie gets its name first" \
    "^SID=$owner~abc; Path=/$" "$(setcookie)"
assert_eq "prefix: back to it, and it sees its own value" "$owner abc" \
    "$(as $VP /echo -b "SID=$owner~abc")"
assert_eq "prefix: again" "$owner abc" "$(as $VP /echo -b "SID=$owner~abc")"
# ---- cookie rewrite: the member's cookie becomes its name ----
owner=$(as $VW /login)
assert_match "rewrite: the member's cookie is its name" \
    "^SID=$owner; Path=/$" "$(setcookie)"
assert_eq "rewrite: back to it" "$owner $owner" \
    "$(as $VW /echo -b "SID=$owner")"
assert_eq "rewrite: again" "$owner $owner" \
    "$(as $VW /echo -b "SID=$owner")"

# ---- max-idle, max-life: the dates in edged's cookie ----
owner=$(as $VA /)
assert_match "dated: the cookie carries its dates" \
    "^SRV=$owner\\|[0-9a-f]+\\|[0-9a-f]+; path=/$" "$(setcookie)"
now=$(date +%s)
fresh=$(printf '%s|%x|%x' "$owner" "$now" "$now")
assert_eq "dated: a fresh cookie holds" "$owner $owner $owner" \
    "$(as $VA / -b "SRV=$fresh") $(as $VA / -b "SRV=$fresh") \
$(as $VA / -b "SRV=$fresh")"
assert_eq "dated: and is not set again at every answer" "" "$(setcookie)"
idle=$(printf '%s|%x|%x' "$owner" $((now - 120)) $((now - 120)))
# first_date: the FIRST date of the cookie just set, in Unix seconds
first_date() {
	local h
	h=$(setcookie | sed -nE 's/^SRV=[^|]*\|[0-9a-f]+\|([0-9a-f]+);.*/\1/p')
	echo $((16#${h:-0}))
}
as $VA / -b "SRV=$idle" >/dev/null
assert_ge "idle past max-idle: not held, a new cookie from now" \
    "$(first_date)" "$now"
old=$(printf '%s|%x|%x' "$owner" "$now" $((now - 7200)))
as $VA / -b "SRV=$old" >/dev/null
assert_ge "older than max-life: a new cookie from now" "$(first_date)" "$now"

# ---- source-ip ----
sip=$(as $VS /)
got=""
for i in $(seq 6); do got="$got $(as $VS /)"; done
assert_eq "source-ip: always one member" \
    "$(printf " $sip%.0s" $(seq 6))" "$got"
assert_match "source-ip: the profile's table has the /24" \
    '^key=127\.0\.0\.0 exp=[0-9]+ms gpc0=[1-3]$' \
    "$(ctl show table persist.sip | grep '^key=')"
ctl member disable p "$sip" >/dev/null
moved=$(as $VS /)
assert_ne "source-ip, disabled: the client moves" "$sip" "$moved"
assert_eq "source-ip: and stays on its new member" "$moved $moved" \
    "$(as $VS /) $(as $VS /)"
ctl member enable p "$sip" >/dev/null
assert_eq "source-ip: enabled again, the client stays where it went" \
    "$moved" "$(as $VS /)"
EXTRA='# a reload' write_conf >"$F"
assert_eq "reload" "configuration reloaded" "$(ctl reload 2>&1)"
assert_eq "source-ip: a reload keeps the table" "$moved" "$(as $VS /)"

# ---- what edged -t refuses ----
printf '%s\n' 'application-profile x { type http' \
    'persistence cookie S prefix max-idle 1h }' >"$T/bad.conf"
rc=0
"$EDGED" -t -c "$T/bad.conf" >"$T/bad.out" 2>&1 || rc=$?
assert_ne "edged -t: max-idle with prefix" 0 "$rc"
assert_match "edged -t: says why" "'max-idle' goes with insert" \
    "$(cat "$T/bad.out")"

kill -0 "$EDGED_PID" 2>/dev/null || fail "edged died"
pass
