#!/bin/bash
# 46-vs-limits: a virtual server's limits beyond the kernel's queue
# (issue 16), against a real nginx:
#   - max-connections 2 refuse: with 2 connections held, a third client
#     gets edged's 503 at once (and is counted: a request answered 5xx),
#     and is served again once a held one closes;
#   - rate-limit 5/s: 15 new connections one after the other are all
#     served, but no faster than the bucket lets them (5 at once, then 5
#     a second): at least 1.5 s for the 15;
#   - edged -T prints both; edged -t refuses a rate without "/s".
. "$(dirname "$0")/lib.sh"
it_begin 46-vs-limits

VR=$((IT_PORT + 1)) VL=$((IT_PORT + 2)) NG=$((IT_PORT + 3))
require_free_ports $VR $VL $NG
nginx_backend ng $NG

{
	edged_conf_head
	cat <<CONF
application-profile web { type http; x-forwarded-for none }
pool p { member ng 127.0.0.1:$NG }
virtual-server r {
    listen 127.0.0.1:$VR
    profile web
    default-pool p
    max-connections 2 refuse
}
virtual-server l {
    listen 127.0.0.1:$VL
    profile web
    default-pool p
    rate-limit 5/s
}
CONF
} >"$T/edged.conf"
edged_start "$T/edged.conf" $VR $VL

# ---- max-connections 2 refuse ----
"$PY" "$IT_DIR/hold.py" $VR 2 --request >"$T/hold" 2>&1 &
IT_PIDS+=("$!")
HOLDER=$!
for _ in $(seq 100); do
	grep -q '^held' "$T/hold" && break
	sleep 0.05
done
assert_eq "the holder's answers" "held 2 200 200" "$(cat "$T/hold")"
t0=$(now_ms)
code=$(curl -s -o "$T/body" -w '%{http_code}' --max-time 5 \
    "http://127.0.0.1:$VR/over" || true)
assert_eq "a third client: refused with 503" 503 "$code"
assert_le "refused at once, not queued (ms)" $(($(now_ms) - t0)) 2000
assert_match "edged's page" "503 Service Unavailable" "$(cat "$T/body")"
assert_eq "the refusal counted as a 5xx" 1 \
    "$(stat_of 'vs("r")["responses"]["5xx"]')"
stop_pid "$HOLDER"
for _ in $(seq 50); do
	[ "$(stat_of 'vs("r")["current"]')" = 0 ] && break
	sleep 0.1
done
assert_eq "held ones gone: served again" 200 \
    "$(status_of "http://127.0.0.1:$VR/")"

# ---- rate-limit 5/s ----
t0=$(now_ms)
codes=""
for i in $(seq 15); do
	codes="$codes $(curl -s -o /dev/null -w '%{http_code}' --max-time 10 \
	    "http://127.0.0.1:$VL/r$i")"
done
elapsed=$(($(now_ms) - t0))
assert_eq "rate-limit: every connection served" \
    "$(printf ' 200%.0s' $(seq 15))" "$codes"
assert_ge "rate-limit: 15 connections take at least 1.5 s (ms)" \
    "$elapsed" 1500

# ---- printing, refusing ----
"$EDGED" -T -c "$T/edged.conf" >"$T/printed" 2>&1
assert_match "edged -T: refuse" "max-connections 2 refuse" \
    "$(cat "$T/printed")"
assert_match "edged -T: rate-limit" "rate-limit 5/s" "$(cat "$T/printed")"
sed 's|rate-limit 5/s|rate-limit 5|' "$T/edged.conf" >"$T/bad.conf"
rc=0
"$EDGED" -t -c "$T/bad.conf" >"$T/bad.out" 2>&1 || rc=$?
assert_ne "edged -t: a rate without /s" 0 "$rc"
assert_match "edged -t: says what it expects" \
    "'rate-limit' expects new connections a second" "$(cat "$T/bad.out")"

kill -0 "$EDGED_PID" 2>/dev/null || fail "edged died"
pass
