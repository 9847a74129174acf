#!/bin/bash
# 47-member-limits: a member's max-connections, and the pool's queue
# (issue 16), against a slow real backend (backend.py slow: 0.4 s a
# request), one worker thread so that arrival order is one order:
#   - max-connections 1: four requests sent 100 ms apart are all
#     answered, one at a time, in the order they came (the backend logs
#     them in that order, each after the previous one was done);
#   - a POST that waited is forwarded whole, and its connection serves
#     the next request;
#   - max-queue 1: with one in progress and one waiting, a third gets
#     503 at once;
#   - timeout queue: a request that waits longer gets 503 (logged sQ),
#     and the member never sees it;
#   - persistence: a request whose cookie names a member at its
#     max-connections waits for that member, though another is free;
#   - edged -T prints the limits.
. "$(dirname "$0")/lib.sh"
it_begin 47-member-limits

V=$((IT_PORT + 1)) VQ=$((IT_PORT + 2)) VT=$((IT_PORT + 3))
VP=$((IT_PORT + 4))
SL=$((IT_PORT + 11)) SQ=$((IT_PORT + 12)) ST=$((IT_PORT + 13))
PA=$((IT_PORT + 14)) PB=$((IT_PORT + 15))
require_free_ports $V $VQ $VT $VP $SL $SQ $ST $PA $PB
py_backend slow $SL slow --delay 0.4
py_backend slowq $SQ slow --delay 0.6
py_backend slowt $ST slow --delay 1.5
py_backend pa $PA slow --delay 0.1
py_backend pb $PB slow --delay 0.1

TMO_SERVER=5s
{
	edged_conf_head | sed 's/^    workers 2$/    workers 1/'
	cat <<CONF
application-profile web { type http; x-forwarded-for none }
pool p { member s 127.0.0.1:$SL max-connections 1 }
pool q {
    max-queue 1
    member s 127.0.0.1:$SQ max-connections 1
}
pool t {
    timeout queue 300ms
    member s 127.0.0.1:$ST max-connections 1
}
virtual-server v { listen 127.0.0.1:$V; profile web; default-pool p }
virtual-server vq { listen 127.0.0.1:$VQ; profile web; default-pool q }
virtual-server vt {
    listen 127.0.0.1:$VT
    profile web
    default-pool t
    access-log $T/t.log
}
application-profile sticky {
    type http
    x-forwarded-for none
    persistence cookie SRV insert
}
pool pp {
    algorithm round-robin
    member pa 127.0.0.1:$PA max-connections 1
    member pb 127.0.0.1:$PB max-connections 1
}
virtual-server vp { listen 127.0.0.1:$VP; profile sticky; default-pool pp }
CONF
} >"$T/edged.conf"
grep -q '^    workers 1$' "$T/edged.conf" || fail "test setup: not one thread"
edged_start "$T/edged.conf" $V $VQ $VT $VP

# ---- one at a time, in arrival order ----
CURLS=()
for i in 1 2 3 4; do
	curl -s -o "$T/r$i" -w '%{http_code}' --max-time 10 \
	    "http://127.0.0.1:$V/r$i" >"$T/code$i" &
	CURLS+=("$!")
	sleep 0.1
done
wait "${CURLS[@]}"
assert_eq "all four answered" "200 200 200 200" \
    "$(cat "$T/code1") $(cat "$T/code2") $(cat "$T/code3") $(cat "$T/code4")"
assert_eq "the member saw them in arrival order" "/r1 /r2 /r3 /r4" \
    "$(grep '^REQ' "$T/slow.log" | awk '{ print $3 }' | tr '\n' ' ' |
    sed 's/ $//')"
# one at a time: each began once the previous one's 0.4 s were over
# (sent 0.1 s apart, two at once would begin about 0.1 s apart)
assert_ge "never two at once: ms between two beginnings" \
    "$(req_gap "$T/slow.log")" 390

# ---- a request that waited: its body, then keep-alive ----
curl -s -o /dev/null --max-time 10 "http://127.0.0.1:$V/busy" &
CURLS=("$!")
sleep 0.1
out=$(curl -s --max-time 10 -w ' %{num_connects}\n' -d 'x=1234567890' \
    "http://127.0.0.1:$V/post" "http://127.0.0.1:$V/after" | tr -d '\n')
wait "${CURLS[@]}"
assert_eq "a POST that waited, then a request on the same connection" \
    "slow 1slow 0" "$out"

# ---- max-queue 1: a third is refused at once ----
curl -s -o /dev/null --max-time 10 "http://127.0.0.1:$VQ/a" &
CURLS=("$!")
sleep 0.1
curl -s -o /dev/null -w '%{http_code}' --max-time 10 \
    "http://127.0.0.1:$VQ/b" >"$T/qb" &
CURLS+=("$!")
sleep 0.1
t0=$(now_ms)
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 \
    "http://127.0.0.1:$VQ/c")
assert_eq "max-queue 1: the third is refused" 503 "$code"
assert_le "refused at once, not after the others (ms)" \
    $(($(now_ms) - t0)) 500
wait "${CURLS[@]}"
assert_eq "the one that waited was served" 200 "$(cat "$T/qb")"

# ---- timeout queue ----
curl -s -o /dev/null --max-time 10 "http://127.0.0.1:$VT/long" &
CURLS=("$!")
sleep 0.1
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 \
    "http://127.0.0.1:$VT/waits")
assert_eq "timeout queue: 503" 503 "$code"
wait "${CURLS[@]}"
sleep 0.3
assert_match "logged sQ" ' 503 [0-9]+ sQ "GET /waits ' "$(cat "$T/t.log")"
assert_eq "the member never saw it" "" \
    "$(grep 'REQ GET /waits' "$T/slowt.log" || true)"

# ---- persistence: the member the cookie names, when it has room ----
curl -s -o /dev/null --max-time 10 -H 'Cookie: SRV=pa' \
    "http://127.0.0.1:$VP/long?delay=0.8" &
CURLS=("$!")
sleep 0.2
out=$(curl -s --max-time 10 -H 'Cookie: SRV=pa' "http://127.0.0.1:$VP/mine")
wait "${CURLS[@]}"
assert_eq "the persistent request went to its member" pa "$out"
assert_eq "pa saw both, in order" "/long?delay=0.8 /mine" \
    "$(grep '^REQ' "$T/pa.log" | awk '{ print $3 }' | tr '\n' ' ' |
    sed 's/ $//')"
# sent 0.2 s after the first, it began once the first's 0.8 s were over
assert_ge "pa: the second began after the first (ms between them)" \
    "$(req_gap "$T/pa.log")" 790
assert_eq "pb, free all along, never saw it" "" "$(cat "$T/pb.log")"

# ---- printed ----
"$EDGED" -T -c "$T/edged.conf" >"$T/printed" 2>&1
assert_match "edged -T: the member's limit" \
    "member s 127\\.0\\.0\\.1:$SL weight 1 max-connections 1" \
    "$(cat "$T/printed")"
assert_match "edged -T: the queue's timeout" "timeout queue 300ms" \
    "$(cat "$T/printed")"

kill -0 "$EDGED_PID" 2>/dev/null || fail "edged died"
pass
