#!/bin/bash
# 02-least-conn: least-conn sends new requests to the member with the
# fewest requests in progress: while one member is busy with a long
# request, short ones all go to the idle member (round-robin would
# alternate); concurrent long requests spread evenly.
. "$(dirname "$0")/lib.sh"
it_begin 02-least-conn

VIP=$((IT_PORT + 0)) B1=$((IT_PORT + 1)) B2=$((IT_PORT + 2))
require_free_ports $VIP $B1 $B2
# answers after ?delay=S seconds (0 by default)
py_backend b1 $B1 slow --delay 0
py_backend b2 $B2 slow --delay 0

TMO_SERVER=10s
{
	edged_conf_head
	cat <<CONF
application-profile web { type http; x-forwarded-for insert }
pool p {
    algorithm least-conn
    member b1 127.0.0.1:$B1
    member b2 127.0.0.1:$B2
}
virtual-server v {
    listen 127.0.0.1:$VIP
    profile web
    default-pool p
}
CONF
} >"$T/edged.conf"
edged_start "$T/edged.conf" $VIP

other() { [ "$1" = b1 ] && echo b2 || echo b1; }

# 1. one long request occupies a member ...
curl -sS --max-time 20 -o "$T/long1" "http://127.0.0.1:$VIP/long1?delay=4" &
LONG1=$!
IT_PIDS+=("$LONG1")
# ... wait until a backend has it
busy=$(backend_with long1 b1 b2)
[ -n "$busy" ] || fail "the long request reached no backend"
idle=$(other "$busy")
it_log "long request on $busy; short ones expected on $idle"
# edged itself counts it as in progress there
assert_eq "active requests on $busy (edgectl)" 1 \
    "$(stat_of "m(\"$busy\")[\"active\"]")"

# 2. ... so every short request meanwhile goes to the other one, whether
# it arrives on a new connection (either thread) or a reused one.
for i in $(seq 1 10); do
	got=$(get "http://127.0.0.1:$VIP/short$i" -H 'Connection: close')
	assert_eq "member for short request $i while $busy is busy" "$idle" "$got"
done
curl -sS --max-time 10 "http://127.0.0.1:$VIP/ka[1-10]" >"$T/ka"
assert_eq "short requests on one connection that went to $idle" 10 \
    "$(grep -c "^$idle\$" "$T/ka" || true)"
wait "$LONG1" || fail "the long request failed"
assert_eq "long request answer" "$busy" "$(cat "$T/long1")"

# 3. four concurrent long requests: two each
CONC=()
for i in 1 2 3 4; do
	curl -sS --max-time 20 -o "$T/conc$i" \
	    "http://127.0.0.1:$VIP/conc$i?delay=2" &
	CONC+=("$!")
	IT_PIDS+=("$!")
	sleep 0.2		# let edged place each before the next
done
for pid in "${CONC[@]}"; do
	wait "$pid" || check_failed "a concurrent long request failed"
done
n1=$(cat "$T"/conc[1-4] | grep -c '^b1$' || true)
n2=$(cat "$T"/conc[1-4] | grep -c '^b2$' || true)
assert_eq "concurrent long requests on b1" 2 "$n1"
assert_eq "concurrent long requests on b2" 2 "$n2"

# 4. nothing left in progress
assert_eq "b1 active after all ended" 0 "$(stat_of 'm("b1")["active"]')"
assert_eq "b2 active after all ended" 0 "$(stat_of 'm("b2")["active"]')"

pass
