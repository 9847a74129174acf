#!/bin/bash
# 13-max-connections: a virtual server's max-connections and the global
# one.  At the limit edged stops accepting (new clients wait in the
# kernel's queue, nothing is refused or reset) and takes them as soon as
# a connection closes.
. "$(dirname "$0")/lib.sh"
it_begin 13-max-connections

VA=$((IT_PORT + 0)) VB=$((IT_PORT + 1)) NG=$((IT_PORT + 2))
require_free_ports $VA $VB $NG
nginx_backend ng $NG

{
	edged_conf_head | sed 's/^    user edged$/    user edged\n    max-connections 5/'
	cat <<CONF
application-profile web { type http; x-forwarded-for none }
pool p {
    algorithm round-robin
    member ng 127.0.0.1:$NG
}
virtual-server a {
    listen 127.0.0.1:$VA
    profile web
    default-pool p
    max-connections 3
}
virtual-server b {
    listen 127.0.0.1:$VB
    profile web
    default-pool p
}
CONF
} >"$T/edged.conf"
grep -q 'max-connections 5' "$T/edged.conf" || fail "test setup: no global limit"
edged_start "$T/edged.conf" $VA

# hold N on PORT: starts a holder, waits until its connections are idle
hold() {
	"$PY" "$IT_DIR/hold.py" "$2" "$1" --request >"$T/hold.$2.$1" 2>&1 &
	IT_PIDS+=("$!")
	HOLDER=$!
	for _ in $(seq 100); do
		grep -q '^held' "$T/hold.$2.$1" && return 0
		sleep 0.05
	done
	fail "holder of $1 connections on $2 never got its answers: $(cat "$T/hold.$2.$1")"
}

# 1. virtual server a: 3 connections held, a 4th waits
hold 3 $VA
HOLD_A=$HOLDER
assert_eq "holder's answers" "held 3 200 200 200" "$(cat "$T/hold.$VA.3")"
assert_eq "a's current connections" 3 "$(stat_of 'vs("a")["current"]')"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 \
    "http://127.0.0.1:$VA/over" || true)
assert_eq "a 4th client of a waits (no answer within 1 s)" 000 "$code"
assert_eq "b is not limited by a's limit" 200 \
    "$(status_of "http://127.0.0.1:$VB/")"

# a waiting client is served once a connection closes
curl -s -o /dev/null -w '%{http_code}' --max-time 8 \
    "http://127.0.0.1:$VA/waiting" >"$T/waiting.code" &
waiting=$!
IT_PIDS+=("$waiting")
sleep 0.5
t0=$(now_ms)
stop_pid "$HOLD_A"
wait "$waiting" || true
assert_eq "the waiting client, after a connection closed" 200 \
    "$(cat "$T/waiting.code")"
assert_le "it was served within (ms) of the close" $(( $(now_ms) - t0 )) 1500

# 2. the global limit, 5: 3 on a and 2 on b; b's next client waits
hold 3 $VA
HOLD_A=$HOLDER
hold 2 $VB
HOLD_B=$HOLDER
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 \
    "http://127.0.0.1:$VB/over" || true)
assert_eq "a 6th client anywhere waits (global max-connections 5)" 000 "$code"
stop_pid "$HOLD_B"
assert_eq "b serves again once below the global limit" 200 \
    "$(status_of "http://127.0.0.1:$VB/" --max-time 5)"
stop_pid "$HOLD_A"

pass
