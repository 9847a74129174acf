#!/bin/bash
# 01-round-robin: smooth weighted round-robin honours weights 3:1, a
# backup member gets nothing while the primaries are up, and takes the
# traffic when both primaries are down.
. "$(dirname "$0")/lib.sh"
it_begin 01-round-robin

VIP=$((IT_PORT + 0)) B1=$((IT_PORT + 1)) B2=$((IT_PORT + 2)) B3=$((IT_PORT + 3))
require_free_ports $VIP $B1 $B2 $B3
nginx_backend b1 $B1
nginx_backend b2 $B2
nginx_backend b3 $B3

{
	edged_conf_head
	cat <<CONF
application-profile web { type http; x-forwarded-for insert }
pool p {
    algorithm round-robin
    member b1 127.0.0.1:$B1 weight 3
    member b2 127.0.0.1:$B2
    member b3 127.0.0.1:$B3 backup
}
virtual-server v {
    listen 127.0.0.1:$VIP
    profile web
    default-pool p
}
CONF
} >"$T/edged.conf"
edged_start "$T/edged.conf" $VIP

# 1. 400 requests on one client connection: one worker thread, one
# balancer, so smooth WRR gives exactly 3 of every 4 picks to b1.
curl -sS --max-time 30 -o /dev/null -w '%{http_code}\n' \
    "http://127.0.0.1:$VIP/one[1-400]" >"$T/codes1"
assert_eq "200 answers on one connection" 400 "$(grep -c '^200$' "$T/codes1")"
assert_eq "b1 requests (one connection)" 300 "$(access_count b1)"
assert_eq "b2 requests (one connection)" 100 "$(access_count b2)"
assert_eq "backup b3 requests while primaries are up" 0 "$(access_count b3)"

# 2. 400 requests each on its own connection: spread over both threads,
# each with its own WRR credits; each thread is exact per 4 picks, so
# the sum is within 2 per thread of 3:1.
: >"$T/b1.access"; : >"$T/b2.access"
curl -sS --max-time 60 -o /dev/null -w '%{http_code}\n' -H 'Connection: close' \
    "http://127.0.0.1:$VIP/many[1-400]" >"$T/codes2"
assert_eq "200 answers on 400 connections" 400 "$(grep -c '^200$' "$T/codes2")"
n1=$(access_count b1)
n2=$(access_count b2)
assert_between "b1 requests (400 connections)" "$n1" 296 304
assert_between "b2 requests (400 connections)" "$n2" 96 104
assert_eq "backup b3 requests while primaries are up" 0 "$(access_count b3)"

# the counters agree with the backends
assert_eq "edgectl: b1 requests" $((300 + n1)) "$(stat_of 'm("b1")["requests"]')"
assert_eq "edgectl: b2 requests" $((100 + n2)) "$(stat_of 'm("b2")["requests"]')"
assert_eq "edgectl: b3 requests" 0 "$(stat_of 'm("b3")["requests"]')"
assert_eq "edgectl: vs 2xx" 800 "$(stat_of 'vs("v")["responses"]["2xx"]')"

# 3. both primaries down: the backup serves.
backend_stop b1
backend_stop b2
wait_port_closed $B1
wait_port_closed $B2
for i in 1 2 3 4 5 6; do
	code=$(curl -s -o "$T/body" -w '%{http_code}' --max-time 10 \
	    "http://127.0.0.1:$VIP/down$i" || true)
	assert_eq "status with both primaries down (request $i)" 200 "$code"
	assert_eq "body with both primaries down (request $i)" b3 \
	    "$(cat "$T/body" 2>/dev/null | head -c 200)"
done
assert_ge "backup b3 requests with primaries down" "$(access_count b3)" 6

pass
